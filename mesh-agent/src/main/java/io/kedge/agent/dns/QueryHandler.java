package io.kedge.agent.dns;

import io.kedge.agent.dns.wire.Replies;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;

/**
 * Hands each {@link InboundQuery} to the {@link QueryResolver} and writes the reply. Answers known
 * at once (the zone, the cache) are written without a flush and flushed when the read burst ends, so
 * that epoll can send a burst of UDP replies with one system call; answers that wait for an upstream
 * are flushed when they arrive, from whichever thread completes them.
 */
@ChannelHandler.Sharable
final class QueryHandler extends SimpleChannelInboundHandler<InboundQuery> {
    private static final Logger log = LoggerFactory.getLogger(QueryHandler.class);

    private final QueryResolver resolver;
    private final DnsMetrics metrics;

    QueryHandler(QueryResolver resolver, DnsMetrics metrics) {
        super(InboundQuery.class);
        this.resolver = resolver;
        this.metrics = metrics;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, InboundQuery in) {
        if (in.rejection() != null) {
            send(ctx, in, new DnsReply(in.rejection(), null, DnsMetrics.Source.LOCAL), -1, false);
            return;
        }
        int qtype = in.query().getQuestion().getType();
        CompletableFuture<DnsReply> pending;
        try {
            pending = resolver.resolve(in.query());
        } catch (RuntimeException e) {
            log.error("resolving {} failed", in.query().getQuestion(), e);
            pending = CompletableFuture.completedFuture(serverFailure(in.query()));
        }
        if (pending.isDone()) {
            send(ctx, in, pending.getNow(null), qtype, false);
        } else {
            pending.whenComplete((reply, error) -> send(ctx, in, error == null ? reply : serverFailure(in.query()), qtype, true));
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    private void send(ChannelHandlerContext ctx, InboundQuery in, DnsReply reply, int qtype, boolean flush) {
        boolean tcp = in.sender() == null;
        metrics.query(tcp, qtype, reply.message().getRcode(), reply.source());
        Channel ch = ctx.channel();
        if (!ch.isActive()) {
            return;
        }
        if (!tcp && !ch.isWritable()) {
            // The socket cannot keep up: dropping a UDP reply is what the network would do anyway,
            // and queueing it would let memory grow without bound.
            metrics.dropped("busy");
            return;
        }
        OutboundReply out = new OutboundReply(reply, in.sender(), in.maxReplySize(),
                reply.snapshot() != null ? in.replyKey() : null);
        if (flush) {
            ctx.writeAndFlush(out, ctx.voidPromise());
        } else {
            ctx.write(out, ctx.voidPromise());
        }
    }

    private static DnsReply serverFailure(Message query) {
        Message reply = Replies.error(query.getHeader().getID(), query.getHeader().getOpcode(),
                query.getHeader().getFlag(org.xbill.DNS.Flags.RD), Rcode.SERVFAIL);
        reply.addRecord(query.getQuestion(), Section.QUESTION);
        return new DnsReply(reply, null, DnsMetrics.Source.LOCAL);
    }
}
