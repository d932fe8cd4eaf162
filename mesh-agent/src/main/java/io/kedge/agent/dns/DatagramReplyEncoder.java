package io.kedge.agent.dns;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/** {@link OutboundReply} to a UDP datagram no larger than the client accepts. */
@ChannelHandler.Sharable
final class DatagramReplyEncoder extends MessageToMessageEncoder<OutboundReply> {
    private final DnsMetrics metrics;
    private final ZoneReplyCache replies;

    DatagramReplyEncoder(DnsMetrics metrics, ZoneReplyCache replies) {
        super(OutboundReply.class);
        this.metrics = metrics;
        this.replies = replies;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, OutboundReply reply, List<Object> out) {
        out.add(new DatagramPacket(Unpooled.wrappedBuffer(ReplyEncoding.encode(reply, metrics, replies)), reply.recipient()));
    }
}
