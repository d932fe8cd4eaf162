package io.kedge.agent.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** {@link OutboundReply} to a length-prefixed TCP message (RFC 1035 4.2.2). */
@ChannelHandler.Sharable
final class StreamReplyEncoder extends MessageToByteEncoder<OutboundReply> {
    private final DnsMetrics metrics;

    StreamReplyEncoder(DnsMetrics metrics) {
        super(OutboundReply.class);
        this.metrics = metrics;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, OutboundReply reply, ByteBuf out) {
        byte[] wire = ReplyEncoding.encode(reply, metrics);
        out.writeShort(wire.length);
        out.writeBytes(wire);
    }
}
