package io.kedge.agent.dns;

import io.kedge.agent.dns.wire.QueryParser;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;

/** UDP datagram to {@link InboundQuery}; packets that get no answer are counted and dropped here. */
@ChannelHandler.Sharable
final class DatagramQueryDecoder extends MessageToMessageDecoder<DatagramPacket> {
    /** Error replies are tiny, so they go out whatever the client's limit. */
    private static final int ERROR_LIMIT = 512;

    private final DnsMetrics metrics;
    private final int payloadSize;

    DatagramQueryDecoder(DnsMetrics metrics, int payloadSize) {
        super(DatagramPacket.class);
        this.metrics = metrics;
        this.payloadSize = payloadSize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, DatagramPacket packet, List<Object> out) {
        QueryParser.Parsed parsed = QueryParser.parse(packet.content().nioBuffer(), DnsServer.MAX_UDP_QUERY_BYTES);
        if (parsed instanceof QueryParser.Query q) {
            out.add(new InboundQuery(q.message(), null, packet.sender(), ReplyEncoding.udpLimit(q.message(), payloadSize),
                    ZoneReplyCache.key(packet.content(), false)));
        } else if (parsed instanceof QueryParser.Rejected r) {
            out.add(new InboundQuery(null, r.reply(), packet.sender(), ERROR_LIMIT, null));
        } else if (parsed instanceof QueryParser.Dropped d) {
            metrics.dropped(d.reason());
        }
    }
}
