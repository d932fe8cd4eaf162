package io.kedge.agent.dns.forward;

import io.kedge.agent.dns.wire.TtlClamp;
import java.util.List;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;

/**
 * An answer for a name outside the cluster zone.
 *
 * @param rcode         NOERROR or NXDOMAIN from upstream; SERVFAIL when no answer could be had
 * @param authenticData the upstream's AD flag
 * @param answer        answer section
 * @param authority     authority section (the SOA of negative answers)
 * @param additional    additional section, without the upstream's OPT record
 * @param ttl           how to present the records' TTLs (age and cache lifetime); null for failures
 * @param origin        where it came from
 */
public record ForwardedAnswer(int rcode, boolean authenticData, List<Record> answer, List<Record> authority,
                              List<Record> additional, TtlClamp ttl, Origin origin) {
    public enum Origin {
        CACHE, UPSTREAM, STALE, FAILED
    }

    static ForwardedAnswer failed() {
        return new ForwardedAnswer(Rcode.SERVFAIL, false, List.of(), List.of(), List.of(), null, Origin.FAILED);
    }
}
