package io.kedge.agent.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.proxy.ProxiedPort;
import io.kedge.iptables.DesiredState;
import io.kedge.iptables.IpFamily;
import io.kedge.iptables.PlacedRule;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceRulesTest {
    private static ProxiedPort port(String ns, String name, String portName, int port, Protocol protocol, int listenerPort, String... ips) {
        return new ProxiedPort(ServiceKey.of(ns, name), new ServicePort(portName, port, protocol, null, String.valueOf(port)),
                List.of(ips), new InetSocketAddress("169.254.96.16", listenerPort));
    }

    private static List<String> specs(DesiredState state) {
        return state.table(IpFamily.V4, "nat").chains().get(ServiceRules.CHAIN).stream()
                .map(r -> String.join(" ", r.args())).toList();
    }

    @Test
    void everyIpv4ClusterIpAndPortIsDnatedToItsListener() {
        DesiredState state = ServiceRules.desired(List.of(
                port("default", "web", "http", 80, Protocol.TCP, 40001, "198.18.0.10", "fd00::10"),
                port("default", "dns", "dns", 53, Protocol.UDP, 40002, "198.18.0.11")));
        assertThat(specs(state)).containsExactly(
                "-d 198.18.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination 169.254.96.16:40002",
                "-d 198.18.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 169.254.96.16:40001");
        assertThat(state.table(IpFamily.V4, "nat").jumpsFrom("PREROUTING")).hasSize(1);
        assertThat(state.table(IpFamily.V4, "nat").jumpsFrom("OUTPUT")).hasSize(1);
        assertThat(state.families()).containsExactly(IpFamily.V4);
    }

    @Test
    void theSamePortsInAnotherOrderGiveTheSameState() {
        ProxiedPort a = port("a", "x", "p", 80, Protocol.TCP, 1, "198.18.0.1");
        ProxiedPort b = port("b", "y", "p", 81, Protocol.UDP, 2, "198.18.0.2");
        assertThat(ServiceRules.desired(List.of(a, b))).isEqualTo(ServiceRules.desired(List.of(b, a)));
        assertThat(ServiceRules.desired(List.of(a))).isNotEqualTo(ServiceRules.desired(List.of(a, b)));
    }

    @Test
    void noPortsStillOwnTheChainAndJumps() {
        DesiredState empty = ServiceRules.desired(List.of());
        assertThat(empty.table(IpFamily.V4, "nat").chains()).containsOnlyKeys(ServiceRules.CHAIN);
        assertThat(specs(empty)).isEmpty();
    }

    @Test
    void onlyDottedQuadsAreIpv4() {
        assertThat(ServiceRules.isIpv4("198.18.0.1")).isTrue();
        assertThat(ServiceRules.isIpv4("None")).isFalse();
        assertThat(ServiceRules.isIpv4("fd00::1")).isFalse();
        assertThat(ServiceRules.isIpv4("256.1.1.1")).isFalse();
        assertThat(ServiceRules.isIpv4("")).isFalse();
        assertThat(ServiceRules.isIpv4(null)).isFalse();
    }
}
