package io.kedge.agent.dns;

import io.kedge.agent.dns.wire.TtlClamp;
import org.xbill.DNS.Message;

/**
 * A reply ready to encode.
 *
 * @param message the reply
 * @param ttl     TTL adjustment for answers from the cache (null: TTLs as they are)
 * @param source  where the answer came from (for metrics)
 */
public record DnsReply(Message message, TtlClamp ttl, DnsMetrics.Source source) {
}
