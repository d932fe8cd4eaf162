package io.kedge.iptables;

import java.util.List;

/** Desired states the tests share: Service DNAT rules in KEDGE-SERVICES, jumped to from PREROUTING and OUTPUT. */
public final class TestStates {
    public static final Rule WEB = Rule.of("default/web:http", "-d", "198.18.0.10/32", "-p", "tcp", "--dport", "80",
            "-j", "DNAT", "--to-destination", "169.254.96.16:40001");
    public static final Rule DNS = Rule.of("kube-system/dns:dns \"udp\"", "-d", "198.18.0.53/32", "-p", "udp", "--dport", "53",
            "-j", "DNAT", "--to-destination", "169.254.96.16:53");
    public static final Rule OLD = Rule.of("default/old:http", "-d", "198.18.0.99/32", "-p", "tcp", "--dport", "80",
            "-j", "DNAT", "--to-destination", "169.254.96.16:40099");

    private TestStates() {
    }

    /** IPv4 nat: KEDGE-SERVICES with {@code rules}, jumped to from the top of PREROUTING and OUTPUT. */
    public static DesiredState services(Rule... rules) {
        return DesiredState.builder(Owner.KEDGE)
                .rules(IpFamily.V4, "nat", "KEDGE-SERVICES", List.of(rules))
                .jump(IpFamily.V4, "nat", Jump.of("PREROUTING", "KEDGE-SERVICES", "from containers"))
                .jump(IpFamily.V4, "nat", Jump.of("OUTPUT", "KEDGE-SERVICES", "from this node"))
                .build();
    }
}
