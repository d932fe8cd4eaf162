package io.kedge.agent.dns;

import io.kedge.agent.dns.wire.QueryParser;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;
import org.xbill.DNS.Message;

/**
 * One TCP frame (length prefix already removed) to {@link InboundQuery}. A frame that gets no
 * answer (shorter than a header, or a response) closes the connection: the stream is not DNS.
 */
final class StreamQueryDecoder extends MessageToMessageDecoder<ByteBuf> {
    private final DnsMetrics metrics;

    StreamQueryDecoder(DnsMetrics metrics) {
        super(ByteBuf.class);
        this.metrics = metrics;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        QueryParser.Parsed parsed = QueryParser.parse(frame.nioBuffer());
        if (parsed instanceof QueryParser.Query q) {
            out.add(new InboundQuery(q.message(), null, null, Message.MAXLENGTH, ZoneReplyCache.key(frame, true)));
        } else if (parsed instanceof QueryParser.Rejected r) {
            out.add(new InboundQuery(null, r.reply(), null, Message.MAXLENGTH, null));
        } else if (parsed instanceof QueryParser.Dropped d) {
            metrics.dropped("tcp-" + d.reason());
            ctx.close();
        }
    }
}
