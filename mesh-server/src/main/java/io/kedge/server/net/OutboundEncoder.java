package io.kedge.server.net;

import io.kedge.server.stun.ChannelData;
import io.kedge.server.stun.StunCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Frames what the TURN logic sends: STUN messages with FINGERPRINT (and MESSAGE-INTEGRITY when
 * keyed), ChannelData (padded to four bytes over streams, RFC 8656 section 12.5) and Data
 * indications. For UDP the result is addressed to the client as a datagram.
 */
final class OutboundEncoder extends MessageToMessageEncoder<Object> {
    private final boolean stream;

    OutboundEncoder(boolean stream) {
        this.stream = stream;
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof Outbound.Message || msg instanceof Outbound.Data;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) {
        ByteBuf bytes;
        java.net.InetSocketAddress recipient;
        if (msg instanceof Outbound.Message m) {
            bytes = Unpooled.wrappedBuffer(StunCodec.encode(m.message(), m.key(), true));
            recipient = m.recipient();
        } else {
            Outbound.Data d = (Outbound.Data) msg;
            ByteBuf data = d.content();
            int length = data.readableBytes();
            if (d.channel != 0) {
                int padding = stream ? ChannelData.streamPadding(length) : 0;
                bytes = ctx.alloc().ioBuffer(ChannelData.HEADER_LENGTH + length + padding);
                ChannelData.writeHeader(bytes, d.channel, length);
                bytes.writeBytes(data, data.readerIndex(), length);
                bytes.writeZero(padding);
            } else {
                byte[] transactionId = new byte[12];
                ThreadLocalRandom.current().nextBytes(transactionId);
                bytes = ctx.alloc().ioBuffer(StunCodec.dataIndicationLength(d.peer, length));
                StunCodec.writeDataIndication(bytes, transactionId, d.peer, data);
            }
            recipient = d.recipient;
        }
        out.add(stream ? bytes : new DatagramPacket(bytes, recipient));
    }
}
