package io.kedge.server.net;

import io.kedge.server.stun.StunMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import java.net.InetSocketAddress;

/** What the decoders make of one datagram or stream frame from a client. */
sealed interface Inbound permits Inbound.Stun, Inbound.ChannelDataFrame, Inbound.MalformedRequest {
    InetSocketAddress sender();

    InetSocketAddress recipient();

    /** A well-formed STUN message. */
    record Stun(StunMessage message, InetSocketAddress sender, InetSocketAddress recipient) implements Inbound {
    }

    /** ChannelData: the channel number and the application data (a retained slice). */
    final class ChannelDataFrame extends DefaultByteBufHolder implements Inbound {
        private final int channel;
        private final InetSocketAddress sender;
        private final InetSocketAddress recipient;

        ChannelDataFrame(int channel, ByteBuf data, InetSocketAddress sender, InetSocketAddress recipient) {
            super(data);
            this.channel = channel;
            this.sender = sender;
            this.recipient = recipient;
        }

        int channel() {
            return channel;
        }

        @Override
        public InetSocketAddress sender() {
            return sender;
        }

        @Override
        public InetSocketAddress recipient() {
            return recipient;
        }
    }

    /**
     * A request whose header was sound but whose body was not: it is answered with 400 (anything
     * else malformed is dropped without an answer).
     */
    record MalformedRequest(int method, byte[] transactionId, String reason, InetSocketAddress sender,
                            InetSocketAddress recipient) implements Inbound {
    }
}
