package io.kedge.agent.dns;

import io.kedge.agent.catalog.Catalog;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.util.function.Supplier;

/**
 * Answers a query whose exact bytes were answered before from the current catalog snapshot, from
 * the {@link ZoneReplyCache}, before any parsing; passes every other packet (UDP datagram or TCP
 * frame) on to the query decoder.
 */
@ChannelHandler.Sharable
final class CachedReplyHandler extends ChannelInboundHandlerAdapter {
    private final ZoneReplyCache replies;
    private final Supplier<Catalog> catalog;
    private final DnsMetrics metrics;

    CachedReplyHandler(ZoneReplyCache replies, Supplier<Catalog> catalog, DnsMetrics metrics) {
        this.replies = replies;
        this.catalog = catalog;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        boolean udp = msg instanceof DatagramPacket;
        ByteBuf query = udp ? ((DatagramPacket) msg).content() : msg instanceof ByteBuf b ? b : null;
        ZoneReplyCache.Key key = query == null ? null : ZoneReplyCache.key(query, !udp);
        ZoneReplyCache.Hit hit = key == null ? null : replies.lookup(key, query, catalog.get());
        if (hit == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            metrics.query(!udp, hit.qtype(), hit.rcode(), DnsMetrics.Source.ZONE);
            if (udp) {
                if (!ctx.channel().isWritable()) {
                    metrics.dropped("busy");
                    return;
                }
                // Flushed by QueryHandler when the read burst ends.
                ctx.write(new DatagramPacket(Unpooled.wrappedBuffer(hit.reply()), ((DatagramPacket) msg).sender()), ctx.voidPromise());
            } else {
                byte[] length = {(byte) (hit.reply().length >> 8), (byte) hit.reply().length};
                ctx.writeAndFlush(Unpooled.wrappedBuffer(length, hit.reply()), ctx.voidPromise());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }
}
