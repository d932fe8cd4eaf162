package io.kedge.agent.dns.zone;

import io.kedge.agent.catalog.Catalog;
import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/**
 * The cluster zone's answer to one question.
 *
 * @param rcode        NOERROR, NXDOMAIN or SERVFAIL (CNAME loop)
 * @param answer       answer section (owner names of the first records in the question's case)
 * @param authority    the zone's SOA for negative answers, else empty
 * @param additional   addresses of SRV targets
 * @param chaseOutside when the answer ends in a CNAME to a name outside the zone (an ExternalName
 *                     Service), that name: the caller may resolve it upstream and append the result
 * @param snapshot     the catalog snapshot the answer was made from
 */
public record ZoneAnswer(int rcode, List<Record> answer, List<Record> authority, List<Record> additional, Name chaseOutside,
                         Catalog snapshot) {
    public ZoneAnswer {
        answer = List.copyOf(answer);
        authority = List.copyOf(authority);
        additional = List.copyOf(additional);
    }
}
