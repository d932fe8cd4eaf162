package io.kedge.agent.dns.zone;

import io.kedge.agent.catalog.Catalog;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Answers questions about the cluster zone from the current catalog, following the Kubernetes
 * DNS-Based Service Discovery specification 1.1.0: ClusterIP and headless Services, endpoint
 * hostnames, SRV for named ports, PTR for ClusterIPs and named endpoints, ExternalName as CNAME,
 * {@code dns-version}, NXDOMAIN/NODATA with the zone's SOA. Matching ignores case; records owned
 * by the question's name carry the question's spelling.
 */
public final class ClusterZone {
    /** CNAMEs followed inside the zone before giving up (ExternalName Services can point at each other). */
    static final int MAX_CNAME_HOPS = 8;

    private final Name zone;
    private final long ttl;
    private final InetAddress serverAddress;
    private final Supplier<Catalog> catalog;
    private volatile ZoneIndex index;

    /**
     * @param zone          the zone's absolute name, e.g. {@code cluster.local.}
     * @param ttl           TTL of every record, and the SOA minimum (negative TTL)
     * @param serverAddress the DNS server's own address, given to {@code ns.dns.<zone>} (null: none)
     * @param catalog       the current snapshot; read on every question, the index is rebuilt when it changes
     */
    public ClusterZone(Name zone, long ttl, InetAddress serverAddress, Supplier<Catalog> catalog) {
        this.zone = zone;
        this.ttl = ttl;
        this.serverAddress = serverAddress;
        this.catalog = catalog;
    }

    public Name zone() {
        return zone;
    }

    /** Every record of the current catalog's zone (and its reverse names), in zone-file form. */
    public List<String> records() {
        return index().records();
    }

    /** Whether {@code name} is the zone or below it. */
    public boolean contains(Name name) {
        return name.subdomain(zone);
    }

    /** Answers {@code qtype} at {@code qname}, a name inside the zone. */
    public ZoneAnswer answer(Name qname, int qtype) {
        ZoneIndex idx = index();
        List<Record> answer = new ArrayList<>(4);
        Name name = qname;
        for (int hop = 0; hop < MAX_CNAME_HOPS; hop++) {
            ZoneIndex.Node node = idx.names.get(name);
            if (node == null) {
                return new ZoneAnswer(Rcode.NXDOMAIN, answer, List.of(idx.soa), List.of(), null, idx.catalog);
            }
            if (node.cnameTarget != null && qtype != Type.CNAME) {
                addAll(answer, node.get(Type.CNAME), hop == 0 ? qname : null);
                name = node.cnameTarget;
                if (!contains(name)) {
                    return new ZoneAnswer(Rcode.NOERROR, answer, List.of(), List.of(), name, idx.catalog);
                }
                continue;
            }
            List<Record> records = qtype == Type.ANY ? node.all() : node.get(qtype);
            if (records.isEmpty()) {
                return new ZoneAnswer(Rcode.NOERROR, answer, List.of(idx.soa), List.of(), null, idx.catalog);
            }
            addAll(answer, records, hop == 0 ? qname : null);
            return new ZoneAnswer(Rcode.NOERROR, answer, List.of(),
                    qtype == Type.SRV || qtype == Type.ANY ? node.additional : List.of(), null, idx.catalog);
        }
        return new ZoneAnswer(Rcode.SERVFAIL, answer, List.of(), List.of(), null, idx.catalog);
    }

    /**
     * PTR records for a reverse name ({@code in-addr.arpa} / {@code ip6.arpa}) of a ClusterIP or of
     * a named endpoint of a headless Service, owned by {@code qname} as spelt; an empty answer if the
     * address is not one of the cluster's.
     */
    public ZoneAnswer pointers(Name qname) {
        ZoneIndex idx = index();
        List<Record> found = idx.reverse.getOrDefault(qname, List.of());
        List<Record> out = new ArrayList<>(found.size());
        addAll(out, found, qname);
        return new ZoneAnswer(Rcode.NOERROR, out, List.of(), List.of(), null, idx.catalog);
    }

    private static void addAll(List<Record> out, List<Record> records, Name owner) {
        for (Record r : records) {
            out.add(owner == null ? r : r.withName(owner));
        }
    }

    /** The index of the current catalog, rebuilt (once per snapshot) when the catalog changed. */
    private ZoneIndex index() {
        Catalog current = catalog.get();
        ZoneIndex idx = index;
        if (idx == null || idx.catalog != current) {
            // Two threads may both rebuild after a change; both results are equal and one wins.
            idx = new ZoneIndex(current, zone, ttl, serverAddress);
            index = idx;
        }
        return idx;
    }
}
