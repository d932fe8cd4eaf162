package io.kedge.server.net;

import io.kedge.server.stun.IntegrityKey;
import io.kedge.server.stun.StunMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import java.net.InetSocketAddress;

/** What the TURN logic asks the network layer to send to a client; {@link OutboundEncoder} frames it. */
final class Outbound {
    private Outbound() {
    }

    /** A STUN response or indication, signed with {@code key} if it is not null. */
    record Message(StunMessage message, IntegrityKey key, InetSocketAddress recipient) {
    }

    /** Data from {@code peer}: ChannelData on {@code channel}, or a Data indication when it is 0. */
    static final class Data extends DefaultByteBufHolder {
        final int channel;
        final InetSocketAddress peer;
        final InetSocketAddress recipient;

        Data(int channel, InetSocketAddress peer, ByteBuf data, InetSocketAddress recipient) {
            super(data);
            this.channel = channel;
            this.peer = peer;
            this.recipient = recipient;
        }
    }
}
