package io.kedge.topo.plan;

import io.kedge.common.config.ConfigException;
import io.kedge.topo.spec.HostSpec;
import io.kedge.topo.spec.InternetSpec;
import io.kedge.topo.spec.Ipv4;
import io.kedge.topo.spec.Ipv4.Cidr;
import io.kedge.topo.spec.NatType;
import io.kedge.topo.spec.SiteSpec;
import io.kedge.topo.spec.TopologySpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Resolves a {@link TopologySpec} into a {@link Plan}: checks it, assigns addresses, and renders
 * the commands that build it.
 *
 * <p>Shape: the internet segment is a bridge inside its own namespace (no uplink, so no packet can
 * leave the topology). Each site's gateway namespace holds a WAN veth on that bridge and the site's
 * LAN bridge; each host is a namespace with one veth {@code eth0}. Both ends of every veth are
 * created directly inside their namespaces, so nothing ever exists in the root namespace.
 */
public final class Planner {
    public static final String PROBE_HOST = "probe";
    public static final String SWITCH_NODE = "internet";
    /** Host offsets inside a /24-or-larger internet segment. */
    static final int FIRST_PUBLIC = 10;
    static final int FIRST_GATEWAY = 100;
    static final int PROBE_OFFSET = 250;
    /** Pods of the n-th host with pods live in 198.19.n.0/24 (the host's bridge is .1, pods .10 upwards). */
    static final String POD_NETWORK_PREFIX = "198.19.";
    static final int FIRST_POD = 10;
    /** Host offsets inside a site's LAN. */
    static final int SITE_GATEWAY = 1;
    static final int FIRST_SITE_HOST = 11;

    private Planner() {
    }

    public static Plan plan(TopologySpec spec, String runId) {
        return new Builder(spec, runId).build();
    }

    private static final class Builder {
        private final TopologySpec spec;
        private final String runId;
        private final String prefix;
        private final List<Node> nodes = new ArrayList<>();
        private final List<Step> steps = new ArrayList<>();
        private final Set<String> names = new HashSet<>();
        private final Set<Integer> internetTaken = new HashSet<>();
        private int switchPorts;
        private int podNetworks;

        Builder(TopologySpec spec, String runId) {
            if (!runId.matches("[a-z0-9]{1,8}")) {
                throw new IllegalArgumentException("run id must be 1-8 lower-case letters or digits: " + runId);
            }
            this.spec = spec;
            this.runId = runId;
            this.prefix = Plan.namespacePrefix(runId);
        }

        Plan build() {
            InternetSpec internet = spec.internet();
            Cidr inet = Cidr.parse("internet.subnet", internet.subnet());
            checkAllowed("internet.subnet", inet);
            if (inet.prefixLength() > 24) {
                throw new ConfigException("internet.subnet", internet.subnet(), "must be a /24 or larger");
            }
            List<Cidr> siteSubnets = siteSubnets(inet);

            String sw = prefix + "sw";
            nodes.add(new Node(SWITCH_NODE, Node.Kind.SWITCH, sw, null, null, List.of(), null));
            steps.add(Step.of("ip", "netns", "add", sw));
            steps.add(Step.of("ip", "-n", sw, "link", "set", "lo", "up"));
            steps.add(Step.of("ip", "-n", sw, "link", "add", "br0", "type", "bridge"));
            steps.add(Step.of("ip", "-n", sw, "link", "set", "br0", "up"));

            // Reserve explicit internet addresses first so automatic ones never collide with them.
            for (int i = 0; i < internet.hosts().size(); i++) {
                HostSpec h = internet.hosts().get(i);
                if (h.address() != null) {
                    int a = Ipv4.parse("internet.hosts[" + i + "].address", h.address());
                    checkUsable("internet.hosts[" + i + "].address", h.address(), inet, a);
                    if (!internetTaken.add(a)) {
                        throw new ConfigException("internet.hosts[" + i + "].address", h.address(), "is used twice");
                    }
                }
            }
            if (internet.probe()) {
                for (int offset : new int[] {PROBE_OFFSET, PROBE_OFFSET + 1}) {
                    if (!internetTaken.add(inet.host(offset))) {
                        throw new ConfigException("internet.hosts", Ipv4.format(inet.host(offset)),
                                "is reserved for the NAT probe host (set internet.probe: false to use it)");
                    }
                }
            }

            List<Node> publics = new ArrayList<>();
            int nextPublic = FIRST_PUBLIC;
            for (int i = 0; i < internet.hosts().size(); i++) {
                HostSpec h = internet.hosts().get(i);
                String key = "internet.hosts[" + i + "].name";
                claimName(key, h.name());
                int address;
                if (h.address() != null) {
                    address = Ipv4.parse(key, h.address());
                } else {
                    while (internetTaken.contains(inet.host(nextPublic))) {
                        nextPublic++;
                    }
                    if (nextPublic >= FIRST_GATEWAY) {
                        throw new ConfigException("internet.hosts", null, "too many public hosts (at most "
                                + (FIRST_GATEWAY - FIRST_PUBLIC) + ")");
                    }
                    address = inet.host(nextPublic++);
                    internetTaken.add(address);
                }
                publics.add(attachToInternet(h.name(), Node.Kind.PUBLIC, List.of(address), inet));
                addPods("internet.hosts[" + i + "]", h, prefix + "h-" + h.name(), null, null);
            }
            if (internet.probe()) {
                claimName("internet.probe", PROBE_HOST);
                publics.add(attachToInternet(PROBE_HOST, Node.Kind.PROBE,
                        List.of(inet.host(PROBE_OFFSET), inet.host(PROBE_OFFSET + 1)), inet));
            }

            List<Node> gateways = new ArrayList<>();
            int nextGateway = FIRST_GATEWAY;
            for (int s = 0; s < spec.sites().size(); s++) {
                SiteSpec site = spec.sites().get(s);
                String key = "sites[" + s + "]";
                claimName(key + ".name", "gw-" + site.name());
                while (internetTaken.contains(inet.host(nextGateway))) {
                    nextGateway++;
                }
                if (nextGateway >= PROBE_OFFSET) {
                    throw new ConfigException("sites", null, "too many sites");
                }
                int wan = inet.host(nextGateway++);
                internetTaken.add(wan);
                gateways.add(buildSite(key, site, siteSubnets.get(s), wan, inet));
            }

            // Routed sites are reachable from the internet segment through their gateway.
            for (int s = 0; s < spec.sites().size(); s++) {
                SiteSpec site = spec.sites().get(s);
                if (site.nat() != NatType.NONE) {
                    continue;
                }
                Node gw = gateways.get(s);
                for (Node other : publics) {
                    steps.add(Step.of("ip", "-n", other.namespace(), "route", "add", siteSubnets.get(s).toString(), "via", gw.address()));
                }
                for (Node other : gateways) {
                    if (other != gw) {
                        steps.add(Step.of("ip", "-n", other.namespace(), "route", "add", siteSubnets.get(s).toString(), "via", gw.address()));
                    }
                }
            }
            return new Plan(runId, spec.name(), nodes, steps);
        }

        private List<Cidr> siteSubnets(Cidr inet) {
            List<Cidr> subnets = new ArrayList<>();
            for (int s = 0; s < spec.sites().size(); s++) {
                SiteSpec site = spec.sites().get(s);
                String key = "sites[" + s + "].subnet";
                Cidr c = site.subnet() != null ? Cidr.parse(key, site.subnet()) : Cidr.parse(key, "100.64." + (s + 1) + ".0/24");
                checkAllowed(key, c);
                if (c.prefixLength() > 28) {
                    throw new ConfigException(key, c, "must be a /28 or larger");
                }
                if (c.overlaps(inet)) {
                    throw new ConfigException(key, c, "overlaps the internet segment " + inet);
                }
                for (int other = 0; other < subnets.size(); other++) {
                    if (subnets.get(other).overlaps(c)) {
                        throw new ConfigException(key, c, "overlaps sites[" + other + "].subnet " + subnets.get(other));
                    }
                }
                subnets.add(c);
            }
            return subnets;
        }

        private Node buildSite(String key, SiteSpec site, Cidr lan, int wan, Cidr inet) {
            String gwNs = prefix + "gw-" + site.name();
            int lanAddress = lan.host(SITE_GATEWAY);
            steps.add(Step.of("ip", "netns", "add", gwNs));
            steps.add(Step.of("ip", "-n", gwNs, "link", "set", "lo", "up"));
            String port = "i" + switchPorts++;
            String sw = prefix + "sw";
            steps.add(Step.of("ip", "link", "add", "name", "wan0", "netns", gwNs, "type", "veth", "peer", "name", port, "netns", sw));
            steps.add(Step.of("ip", "-n", sw, "link", "set", port, "master", "br0", "up"));
            steps.add(Step.of("ip", "-n", gwNs, "addr", "add", Ipv4.format(wan) + "/" + inet.prefixLength(), "dev", "wan0"));
            steps.add(Step.of("ip", "-n", gwNs, "link", "set", "wan0", "up"));
            steps.add(Step.of("ip", "-n", gwNs, "link", "add", "lan0", "type", "bridge"));
            steps.add(Step.of("ip", "-n", gwNs, "addr", "add", Ipv4.format(lanAddress) + "/" + lan.prefixLength(), "dev", "lan0"));
            steps.add(Step.of("ip", "-n", gwNs, "link", "set", "lan0", "up"));
            steps.add(Step.of("ip", "netns", "exec", gwNs, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"));
            steps.add(new Step(List.of("ip", "netns", "exec", gwNs, "iptables-restore"), natRules(site.nat())));
            Node gateway = new Node("gw-" + site.name(), Node.Kind.GATEWAY, gwNs, site.name(), site.nat(),
                    List.of(Ipv4.format(wan) + "/" + inet.prefixLength(), Ipv4.format(lanAddress) + "/" + lan.prefixLength()), null);
            nodes.add(gateway);

            Set<Integer> taken = new HashSet<>();
            taken.add(lanAddress);
            for (int h = 0; h < site.hosts().size(); h++) {
                HostSpec host = site.hosts().get(h);
                if (host.address() != null) {
                    String akey = key + ".hosts[" + h + "].address";
                    int a = Ipv4.parse(akey, host.address());
                    checkUsable(akey, host.address(), lan, a);
                    if (!taken.add(a)) {
                        throw new ConfigException(akey, host.address(), "is used twice or is the gateway's address");
                    }
                }
            }
            int next = FIRST_SITE_HOST;
            for (int h = 0; h < site.hosts().size(); h++) {
                HostSpec host = site.hosts().get(h);
                claimName(key + ".hosts[" + h + "].name", host.name());
                int address;
                if (host.address() != null) {
                    address = Ipv4.parse("address", host.address());
                } else {
                    while (taken.contains(lan.host(next))) {
                        next++;
                    }
                    if (next >= lan.size() - 1) {
                        throw new ConfigException(key + ".hosts", null, "more hosts than " + lan + " has addresses for");
                    }
                    address = lan.host(next++);
                    taken.add(address);
                }
                String ns = prefix + "h-" + host.name();
                String lanPort = "l" + h;
                steps.add(Step.of("ip", "netns", "add", ns));
                steps.add(Step.of("ip", "-n", ns, "link", "set", "lo", "up"));
                steps.add(Step.of("ip", "link", "add", "name", "eth0", "netns", ns, "type", "veth", "peer", "name", lanPort, "netns", gwNs));
                steps.add(Step.of("ip", "-n", gwNs, "link", "set", lanPort, "master", "lan0", "up"));
                steps.add(Step.of("ip", "-n", ns, "addr", "add", Ipv4.format(address) + "/" + lan.prefixLength(), "dev", "eth0"));
                steps.add(Step.of("ip", "-n", ns, "link", "set", "eth0", "up"));
                steps.add(Step.of("ip", "-n", ns, "route", "add", "default", "via", Ipv4.format(lanAddress)));
                nodes.add(new Node(host.name(), Node.Kind.HOST, ns, site.name(), site.nat(),
                        List.of(Ipv4.format(address) + "/" + lan.prefixLength()), Ipv4.format(lanAddress)));
                addPods(key + ".hosts[" + h + "]", host, ns, site.name(), site.nat());
            }
            return gateway;
        }

        /** The gateway's whole ruleset, applied atomically with iptables-restore. */
        static String natRules(NatType nat) {
            StringBuilder filter = new StringBuilder("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
            StringBuilder natTable = new StringBuilder("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n");
            switch (nat) {
                case NONE -> {
                    // Routed: nothing translated, nothing filtered.
                }
                case PORT_RESTRICTED -> natTable.append("-A POSTROUTING -o wan0 -j MASQUERADE\n");
                case SYMMETRIC -> natTable.append("-A POSTROUTING -o wan0 -j MASQUERADE --random-fully\n");
                case UDP_BLOCKED -> {
                    natTable.append("-A POSTROUTING -o wan0 -j MASQUERADE\n");
                    filter.append("-A FORWARD -i lan0 -o wan0 -p udp -j DROP\n");
                    filter.append("-A FORWARD -i wan0 -o lan0 -p udp -j DROP\n");
                }
            }
            if (nat.translates()) {
                // Like a home router: only replies come in; unsolicited inbound traffic dies here even
                // if some host on the internet segment had a route to the site's private subnet.
                filter.append("-A FORWARD -i wan0 -o lan0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n");
                filter.append("-A FORWARD -i wan0 -o lan0 -j DROP\n");
            }
            return filter.append("COMMIT\n").append(natTable).append("COMMIT\n").toString();
        }

        private Node attachToInternet(String name, Node.Kind kind, List<Integer> addresses, Cidr inet) {
            String ns = prefix + "h-" + name;
            String sw = prefix + "sw";
            String port = "i" + switchPorts++;
            steps.add(Step.of("ip", "netns", "add", ns));
            steps.add(Step.of("ip", "-n", ns, "link", "set", "lo", "up"));
            steps.add(Step.of("ip", "link", "add", "name", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", sw));
            steps.add(Step.of("ip", "-n", sw, "link", "set", port, "master", "br0", "up"));
            List<String> cidrs = new ArrayList<>();
            for (int a : addresses) {
                String cidr = Ipv4.format(a) + "/" + inet.prefixLength();
                cidrs.add(cidr);
                steps.add(Step.of("ip", "-n", ns, "addr", "add", cidr, "dev", "eth0"));
            }
            steps.add(Step.of("ip", "-n", ns, "link", "set", "eth0", "up"));
            Node node = new Node(name, kind, ns, null, null, cidrs, null);
            nodes.add(node);
            return node;
        }

        /**
         * Pods behind a host: each a namespace with {@code eth0} on the host's {@code pods0} bridge,
         * routed through the host, which masquerades their traffic to anywhere else (as CNI plugins do).
         */
        private void addPods(String key, HostSpec host, String hostNs, String site, NatType nat) {
            if (host.pods().isEmpty()) {
                return;
            }
            int net = ++podNetworks;
            if (net > 255) {
                throw new ConfigException(key + ".pods", null, "too many hosts with pods (at most 255)");
            }
            String subnet = POD_NETWORK_PREFIX + net + ".0/24";
            String bridge = POD_NETWORK_PREFIX + net + ".1";
            steps.add(Step.of("ip", "-n", hostNs, "link", "add", "pods0", "type", "bridge"));
            steps.add(Step.of("ip", "-n", hostNs, "addr", "add", bridge + "/24", "dev", "pods0"));
            steps.add(Step.of("ip", "-n", hostNs, "link", "set", "pods0", "up"));
            steps.add(Step.of("ip", "netns", "exec", hostNs, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"));
            steps.add(Step.of("ip", "netns", "exec", hostNs, "iptables", "-t", "nat", "-A", "POSTROUTING",
                    "-s", subnet, "!", "-o", "pods0", "-j", "MASQUERADE"));
            for (int i = 0; i < host.pods().size(); i++) {
                String pod = host.pods().get(i);
                claimName(key + ".pods[" + i + "]", pod);
                String ns = prefix + "p-" + pod;
                String address = POD_NETWORK_PREFIX + net + "." + (FIRST_POD + i);
                String port = "vp" + i;
                steps.add(Step.of("ip", "netns", "add", ns));
                steps.add(Step.of("ip", "-n", ns, "link", "set", "lo", "up"));
                steps.add(Step.of("ip", "link", "add", "name", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", hostNs));
                steps.add(Step.of("ip", "-n", hostNs, "link", "set", port, "master", "pods0", "up"));
                steps.add(Step.of("ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0"));
                steps.add(Step.of("ip", "-n", ns, "link", "set", "eth0", "up"));
                steps.add(Step.of("ip", "-n", ns, "route", "add", "default", "via", bridge));
                nodes.add(new Node(pod, Node.Kind.POD, ns, site, nat, List.of(address + "/24"), bridge));
            }
        }

        private void claimName(String key, String name) {
            if (!names.add(name)) {
                throw new ConfigException(key, name, name.equals(PROBE_HOST)
                        ? "is reserved for the NAT probe host (set internet.probe: false to use it)"
                        : "names must be unique across the topology");
            }
        }

        private static void checkAllowed(String key, Cidr c) {
            if (!Ipv4.allowed(c)) {
                throw new ConfigException(key, c, "is outside the test ranges (192.0.2.0/24, 198.51.100.0/24, "
                        + "203.0.113.0/24, 198.18.0.0/15, 100.64.0.0/10)");
            }
        }

        private static void checkUsable(String key, String text, Cidr subnet, int address) {
            if (!subnet.contains(address)) {
                throw new ConfigException(key, text, "is outside " + subnet);
            }
            if (address == subnet.network() || address == subnet.host((int) subnet.size() - 1)) {
                throw new ConfigException(key, text, "is the network or broadcast address of " + subnet);
            }
        }
    }
}
