package io.kedge.agent.dns;

import io.kedge.agent.dns.wire.TtlClamp;
import org.xbill.DNS.Message;

/**
 * A reply ready to encode.
 *
 * @param message the reply
 * @param ttl     TTL adjustment for answers from the cache (null: TTLs as they are)
 * @param source   where the answer came from (for metrics)
 * @param snapshot for a reply made from the zone alone, the catalog snapshot it came from (it may
 *                 then be reused for the same query bytes while that snapshot is current); else null
 */
public record DnsReply(Message message, TtlClamp ttl, DnsMetrics.Source source, Object snapshot) {
    public DnsReply(Message message, TtlClamp ttl, DnsMetrics.Source source) {
        this(message, ttl, source, null);
    }
}
