package io.kedge.agent.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** {@link OutboundReply} to a length-prefixed TCP message (RFC 1035 4.2.2). */
@ChannelHandler.Sharable
final class StreamReplyEncoder extends MessageToByteEncoder<OutboundReply> {
    private final DnsMetrics metrics;
    private final ZoneReplyCache replies;

    StreamReplyEncoder(DnsMetrics metrics, ZoneReplyCache replies) {
        super(OutboundReply.class);
        this.metrics = metrics;
        this.replies = replies;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, OutboundReply reply, ByteBuf out) {
        byte[] wire = ReplyEncoding.encode(reply, metrics, replies);
        out.writeShort(wire.length);
        out.writeBytes(wire);
    }
}
