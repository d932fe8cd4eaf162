package io.kedge.agent.dns.zone;

import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.catalog.ServiceType;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Address;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Every name of the cluster zone for one catalog snapshot, with its records, built once per snapshot
 * so that answering is a hash lookup. Names are dnsjava {@link Name}s, whose equality ignores case.
 * Names that exist without records of their own (empty non-terminals such as {@code svc.<zone>},
 * {@code <ns>.svc.<zone>}, {@code _tcp.<svc>.<ns>.svc.<zone>}) are present with no records, so they
 * answer NODATA rather than NXDOMAIN.
 */
final class ZoneIndex {
    private static final Logger log = LoggerFactory.getLogger(ZoneIndex.class);
    static final String SPEC_VERSION = "1.1.0";

    /** The records at one name. */
    static final class Node {
        final Map<Integer, List<Record>> rrsets = new HashMap<>(4);
        /** For SRV answers: the addresses of the targets. */
        final List<Record> additional = new ArrayList<>(0);
        /** The CNAME target of an ExternalName Service, or null. */
        Name cnameTarget;

        void add(Record r) {
            List<Record> set = rrsets.computeIfAbsent(r.getType(), t -> new ArrayList<>(1));
            if (!set.contains(r)) {
                set.add(r);
            }
        }

        List<Record> get(int type) {
            return rrsets.getOrDefault(type, List.of());
        }

        List<Record> all() {
            List<Record> out = new ArrayList<>();
            rrsets.values().forEach(out::addAll);
            return out;
        }
    }

    final Catalog catalog;
    final Name zone;
    final SOARecord soa;
    final Map<Name, Node> names = new HashMap<>();
    /** PTR records by reverse name (in-addr.arpa / ip6.arpa): outside the zone. */
    final Map<Name, List<Record>> reverse = new HashMap<>();
    private final long ttl;

    ZoneIndex(Catalog catalog, Name zone, long ttl, InetAddress serverAddress) {
        this.catalog = catalog;
        this.zone = zone;
        this.ttl = ttl;
        Name nsName = child("ns", child("dns", zone));
        Name hostmaster = child("hostmaster", zone);
        this.soa = new SOARecord(zone, DClass.IN, ttl, nsName, hostmaster, serial(catalog.generation()), 7200, 1800,
                86400, ttl);
        Node apex = node(zone);
        apex.add(soa);
        apex.add(new NSRecord(zone, DClass.IN, ttl, nsName));
        Node ns = node(nsName);
        if (serverAddress != null && !serverAddress.isAnyLocalAddress()) {
            ns.add(address(nsName, serverAddress));
        }
        node(child("dns-version", zone)).add(new TXTRecord(child("dns-version", zone), DClass.IN, ttl, SPEC_VERSION));
        Name svc = child("svc", zone);
        node(svc);
        for (Service s : catalog.services().values()) {
            try {
                addService(s, svc);
            } catch (TextParseException | IllegalArgumentException e) {
                // A name Kubernetes would not allow (too long, bad characters): the Service is
                // skipped rather than failing the whole zone.
                log.debug("service {} not served by DNS: {}", s.key(), e.getMessage());
            }
        }
    }

    /** Every record served, in zone-file form and sorted (for {@code meshctl dns}). */
    List<String> records() {
        List<String> out = new ArrayList<>();
        names.values().forEach(n -> n.all().forEach(r -> out.add(r.toString())));
        reverse.values().forEach(rs -> rs.forEach(r -> out.add(r.toString())));
        out.sort(null);
        return out;
    }

    private void addService(Service s, Name svcZone) throws TextParseException {
        Name namespace = label(s.key().namespace(), svcZone);
        Name name = label(s.key().name(), namespace);
        node(namespace);
        Node node = node(name);
        if (s.type() == ServiceType.EXTERNAL_NAME) {
            if (s.externalName() != null && !s.externalName().isBlank()) {
                String ext = s.externalName().endsWith(".") ? s.externalName() : s.externalName() + ".";
                node.cnameTarget = Name.fromString(ext);
                node.add(new CNAMERecord(name, DClass.IN, ttl, node.cnameTarget));
            }
            return;
        }
        if (s.headless()) {
            addHeadless(s, name, node);
        } else {
            addClusterIPs(s, name, node);
        }
    }

    private void addClusterIPs(Service s, Name name, Node node) throws TextParseException {
        for (String ip : s.clusterIPs()) {
            InetAddress addr = ip(ip);
            if (addr == null) {
                continue;
            }
            node.add(address(name, addr));
            Name rev = ReverseMap.fromAddress(addr);
            addPtr(rev, new PTRRecord(rev, DClass.IN, ttl, name));
        }
        List<Record> targetAddresses = new ArrayList<>(node.get(Type.A));
        targetAddresses.addAll(node.get(Type.AAAA));
        for (ServicePort port : s.ports()) {
            if (port.name().isEmpty()) {
                continue;
            }
            Node srv = srvNode(name, port);
            srv.add(new SRVRecord(srvName(name, port), DClass.IN, ttl, 0, 100, port.port(), name));
            for (Record r : targetAddresses) {
                if (!srv.additional.contains(r)) {
                    srv.additional.add(r);
                }
            }
        }
    }

    private void addHeadless(Service s, Name name, Node node) throws TextParseException {
        List<Endpoint> endpoints = catalog.endpoints(s.key()).stream()
                .filter(e -> s.publishNotReadyAddresses() || e.ready())
                .toList();
        List<Name> targets = new ArrayList<>();
        List<Endpoint> targetEndpoints = new ArrayList<>();
        for (Endpoint e : endpoints) {
            InetAddress addr = ip(e.ip());
            if (addr == null) {
                continue;
            }
            node.add(address(name, addr));
            boolean named = e.hostname() != null && !e.hostname().isBlank();
            String label = named ? e.hostname() : e.ip().replace(':', '-').replace('.', '-');
            Name target;
            try {
                target = label(label, name);
            } catch (TextParseException ex) {
                continue;
            }
            node(target).add(address(target, addr));
            if (named) {
                Name rev = ReverseMap.fromAddress(addr);
                addPtr(rev, new PTRRecord(rev, DClass.IN, ttl, target));
            }
            targets.add(target);
            targetEndpoints.add(e);
        }
        for (ServicePort port : s.ports()) {
            if (port.name().isEmpty()) {
                continue;
            }
            Node srv = srvNode(name, port);
            Name owner = srvName(name, port);
            List<int[]> ports = new ArrayList<>();
            for (int i = 0; i < targets.size(); i++) {
                ports.add(new int[] {i, targetEndpoints.get(i).portFor(port)});
            }
            List<int[]> usable = ports.stream().filter(p -> p[1] > 0).toList();
            int weight = usable.isEmpty() ? 0 : Math.max(1, 100 / usable.size());
            for (int[] p : usable) {
                Name target = targets.get(p[0]);
                srv.add(new SRVRecord(owner, DClass.IN, ttl, 0, weight, p[1], target));
                Node t = names.get(target);
                for (Record r : t.all()) {
                    if (!srv.additional.contains(r)) {
                        srv.additional.add(r);
                    }
                }
            }
        }
    }

    /** The node of {@code _<port>._<proto>.<service>}, with {@code _<proto>.<service>} as an empty non-terminal. */
    private Node srvNode(Name service, ServicePort port) throws TextParseException {
        node(protoName(service, port));
        return node(srvName(service, port));
    }

    private static Name srvName(Name service, ServicePort port) throws TextParseException {
        return Name.fromString("_" + port.name(), protoName(service, port));
    }

    private static Name protoName(Name service, ServicePort port) throws TextParseException {
        return Name.fromString("_" + port.protocol().name().toLowerCase(Locale.ROOT), service);
    }

    private void addPtr(Name reverseName, Record ptr) {
        List<Record> set = reverse.computeIfAbsent(reverseName, n -> new ArrayList<>(1));
        if (!set.contains(ptr)) {
            set.add(ptr);
        }
    }

    private Node node(Name name) {
        return names.computeIfAbsent(name, n -> new Node());
    }

    private Record address(Name owner, InetAddress addr) {
        return addr.getAddress().length == 4 ? new ARecord(owner, DClass.IN, ttl, addr) : new AAAARecord(owner, DClass.IN, ttl, addr);
    }

    /** An IP literal as an address, never looking a name up; null for anything else ("None", ""). */
    static InetAddress ip(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return Address.getByAddress(text, text.indexOf(':') >= 0 ? Address.IPv6 : Address.IPv4);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** {@code parent} with one more label; a text that would make several labels (or none) is refused. */
    private static Name label(String text, Name parent) throws TextParseException {
        if (text == null || text.isEmpty() || text.indexOf('.') >= 0 || text.indexOf('\\') >= 0) {
            throw new TextParseException("not a single DNS label: \"" + text + "\"");
        }
        return Name.fromString(text, parent);
    }

    private static Name child(String label, Name parent) {
        try {
            return Name.fromString(label, parent);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** SOA serials are 32-bit; generation 0 (the empty catalog) still gets a valid serial. */
    private static long serial(long generation) {
        return (generation & 0xFFFFFFFFL) == 0 ? 1 : generation & 0xFFFFFFFFL;
    }
}
