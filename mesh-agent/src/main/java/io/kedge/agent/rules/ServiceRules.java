package io.kedge.agent.rules;

import io.kedge.agent.proxy.ProxiedPort;
import io.kedge.iptables.DesiredState;
import io.kedge.iptables.IpFamily;
import io.kedge.iptables.Jump;
import io.kedge.iptables.Owner;
import io.kedge.iptables.Rule;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The iptables rules that send ClusterIP traffic to the proxy: one DNAT rule per (ClusterIP, port) in
 * the nat chain {@value #CHAIN}, jumped to from PREROUTING (pods on the node) and OUTPUT (the node's
 * own processes). Pure: the same proxied ports always give the same desired state, so the reconciler
 * applies nothing when nothing changed.
 */
public final class ServiceRules {
    public static final Owner OWNER = Owner.KEDGE;
    public static final String CHAIN = "KEDGE-SERVICES";
    static final String NAT = "nat";
    /**
     * Compiled once: {@code String.matches} compiled it for every Service port of every reconcile,
     * enough (1,000 Services) for C2 to compile Pattern.compile itself at start, a compilation
     * whose arena showed in the agent's RSS.
     */
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    private ServiceRules() {
    }

    /** The desired state for {@code ports}; IPv6 ClusterIPs are skipped (the proxy listens on IPv4). */
    public static DesiredState desired(List<ProxiedPort> ports) {
        DesiredState.Builder b = DesiredState.builder(OWNER)
                .chain(IpFamily.V4, NAT, CHAIN)
                .jump(IpFamily.V4, NAT, Jump.of("PREROUTING", CHAIN, "ClusterIP traffic from pods to the mesh proxy"))
                .jump(IpFamily.V4, NAT, Jump.of("OUTPUT", CHAIN, "ClusterIP traffic from the node to the mesh proxy"));
        List<ProxiedPort> sorted = ports.stream()
                .sorted(Comparator.comparing((ProxiedPort p) -> p.service().toString())
                        .thenComparing(p -> p.port().protocol().name())
                        .thenComparingInt(p -> p.port().port()))
                .toList();
        for (ProxiedPort p : sorted) {
            String protocol = p.port().protocol().name().toLowerCase(Locale.ROOT);
            String target = p.listener().getAddress().getHostAddress() + ":" + p.listener().getPort();
            String name = p.port().name() == null || p.port().name().isEmpty() ? String.valueOf(p.port().port()) : p.port().name();
            for (String ip : p.clusterIPs()) {
                if (!isIpv4(ip)) {
                    continue;
                }
                b.rule(IpFamily.V4, NAT, CHAIN, Rule.of(p.service() + ":" + name,
                        "-d", ip + "/32", "-p", protocol, "-m", protocol, "--dport", String.valueOf(p.port().port()),
                        "-j", "DNAT", "--to-destination", target));
            }
        }
        return b.build();
    }

    /** A dotted-quad literal (ClusterIPs are literals; nothing here may trigger a name lookup). */
    static boolean isIpv4(String ip) {
        return ip != null && IPV4.matcher(ip).matches();
    }
}
