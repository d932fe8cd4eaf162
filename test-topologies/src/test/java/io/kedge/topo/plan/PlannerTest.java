package io.kedge.topo.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.common.config.ConfigException;
import io.kedge.topo.spec.TopologySpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PlannerTest {

    static String resource(String name) throws IOException {
        try (InputStream in = PlannerTest.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * The demo topology renders to exactly the commands in the golden file. To accept a deliberate
     * change, run with -Dgolden.update=true and review the diff.
     */
    @Test
    void demoTopologyRendersToTheGoldenCommands() throws IOException {
        Plan plan = Planner.plan(TopologySpec.parse(resource("topologies/demo.yaml")), "t1");
        String rendered = plan.steps().stream().map(Step::toString).collect(Collectors.joining("\n")) + "\n";
        Path golden = Path.of("src/test/resources/golden/demo-plan.txt");
        if (Boolean.getBoolean("golden.update")) {
            Files.createDirectories(golden.getParent());
            Files.writeString(golden, rendered);
        }
        assertThat(rendered).isEqualTo(Files.readString(golden));
    }

    @Test
    void assignsAddressesByRole() throws IOException {
        Plan plan = Planner.plan(TopologySpec.parse(resource("topologies/demo.yaml")), "t1");
        assertThat(plan.node("cloud").orElseThrow().addresses()).containsExactly("203.0.113.10/24");
        assertThat(plan.node("relay").orElseThrow().addresses()).containsExactly("203.0.113.11/24");
        assertThat(plan.node("probe").orElseThrow().addresses()).containsExactly("203.0.113.250/24", "203.0.113.251/24");
        assertThat(plan.node("gw-a").orElseThrow().addresses()).containsExactly("203.0.113.100/24", "100.64.1.1/24");
        assertThat(plan.node("gw-b").orElseThrow().addresses()).containsExactly("203.0.113.101/24", "100.64.2.1/24");
        assertThat(plan.node("a1").orElseThrow().addresses()).containsExactly("100.64.1.11/24");
        assertThat(plan.node("a2").orElseThrow().addresses()).containsExactly("100.64.1.12/24");
        assertThat(plan.node("b1").orElseThrow().gateway()).isEqualTo("100.64.2.1");
        assertThat(plan.namespaces()).allMatch(ns -> ns.startsWith("kt-t1-"));
    }

    @Test
    void routedSitesGetRoutesOnPublicHostsAndOtherGateways() {
        Plan plan = Planner.plan(TopologySpec.parse("""
                name: routed
                internet: {hosts: [relay], probe: false}
                sites:
                  - {name: r, nat: none, hosts: [r1]}
                  - {name: n, nat: symmetric, hosts: [n1]}
                """), "t2");
        assertThat(plan.steps()).map(Step::toString)
                .contains("ip -n kt-t2-h-relay route add 100.64.1.0/24 via 203.0.113.100",
                        "ip -n kt-t2-gw-n route add 100.64.1.0/24 via 203.0.113.100")
                .noneMatch(s -> s.contains("route add 100.64.2.0/24"));
        assertThat(plan.node("probe")).isEmpty();
    }

    @Test
    void explicitAddressesAreHonouredAndAutomaticOnesAvoidThem() {
        Plan plan = Planner.plan(TopologySpec.parse("""
                name: explicit
                internet: {hosts: [{name: x, address: 203.0.113.10}, y]}
                sites: [{name: s, nat: none, subnet: 198.18.5.0/24, hosts: [{name: h1, address: 198.18.5.11}, h2]}]
                """), "t3");
        assertThat(plan.node("x").orElseThrow().address()).isEqualTo("203.0.113.10");
        assertThat(plan.node("y").orElseThrow().address()).isEqualTo("203.0.113.11");
        assertThat(plan.node("h2").orElseThrow().address()).isEqualTo("198.18.5.12");
    }

    @Test
    void gatewayRulesMatchTheNatType() {
        assertThat(Planner.plan(TopologySpec.parse("name: t\nsites: [{name: s, nat: symmetric, hosts: [h]}]"), "x").steps())
                .anyMatch(s -> s.stdin() != null && s.stdin().contains("-A POSTROUTING -o wan0 -j MASQUERADE --random-fully"));
        assertThat(Planner.plan(TopologySpec.parse("name: t\nsites: [{name: s, nat: udp-blocked, hosts: [h]}]"), "x").steps())
                .anyMatch(s -> s.stdin() != null && s.stdin().contains("-A FORWARD -i lan0 -o wan0 -p udp -j DROP"));
        assertThat(Planner.plan(TopologySpec.parse("name: t\nsites: [{name: s, nat: none, hosts: [h]}]"), "x").steps())
                .anyMatch(s -> s.stdin() != null && !s.stdin().contains("MASQUERADE") && !s.stdin().contains("DROP"));
    }

    @Test
    void rejectsAddressesOutsideTheTestRanges() {
        assertThatThrownBy(() -> Planner.plan(TopologySpec.parse("name: t\nsites: [{name: s, nat: none, subnet: 10.1.0.0/24, hosts: [h]}]"), "x"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("sites[0].subnet: is outside the test ranges")
                .hasMessageContaining("10.1.0.0/24");
        assertThatThrownBy(() -> Planner.plan(TopologySpec.parse("name: t\ninternet: {subnet: 192.168.1.0/24}"), "x"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("internet.subnet: is outside the test ranges");
        assertThatThrownBy(() -> Planner.plan(TopologySpec.parse("name: t\ninternet: {hosts: [{name: h, address: 8.8.8.8}]}"), "x"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("internet.hosts[0].address: is outside 203.0.113.0/24");
    }

    @Test
    void rejectsDuplicateNamesOverlapsAndReservedNames() {
        assertThatThrownBy(() -> Planner.plan(TopologySpec.parse("name: t\ninternet: {hosts: [a]}\nsites: [{name: s, nat: none, hosts: [a]}]"), "x"))
                .hasMessage("sites[0].hosts[0].name: names must be unique across the topology (got \"a\")");
        assertThatThrownBy(() -> Planner.plan(TopologySpec.parse("""
                name: t
                sites:
                  - {name: s, nat: none, subnet: 100.64.0.0/16, hosts: [a]}
                  - {name: u, nat: none, subnet: 100.64.3.0/24, hosts: [b]}
                """), "x"))
                .hasMessageStartingWith("sites[1].subnet: overlaps sites[0].subnet 100.64.0.0/16");
        assertThatThrownBy(() -> Planner.plan(TopologySpec.parse("name: t\ninternet: {hosts: [probe]}"), "x"))
                .hasMessageContaining("is reserved for the NAT probe host");
        assertThatThrownBy(() -> Planner.plan(TopologySpec.parse("name: t\nsites: [{name: s, nat: none, subnet: 100.64.1.0/24, hosts: [{name: h, address: 100.64.1.1}]}]"), "x"))
                .hasMessageStartingWith("sites[0].hosts[0].address: is used twice or is the gateway's address");
    }

    @Test
    void specErrorsNameTheKey() {
        assertThatThrownBy(() -> TopologySpec.parse("name: t\nsites: [{name: s, nat: symetric, hosts: [h]}]"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("sites[0].nat: expected one of none, port-restricted, symmetric, udp-blocked (got \"symetric\")");
        assertThatThrownBy(() -> TopologySpec.parse("name: t\nsites: [{name: s, nat: none, hosts: []}]"))
                .hasMessage("sites[0].hosts: a site needs at least one host");
        assertThatThrownBy(() -> TopologySpec.parse("name: t\nsites: [{name: S_1, nat: none, hosts: [h]}]"))
                .hasMessageStartingWith("sites[0].name: must be lower-case letters");
        assertThatThrownBy(() -> TopologySpec.parse("name: t\nsites: [{name: s, nat: none, hostz: [h]}]"))
                .hasMessageStartingWith("sites[0].hostz: unknown key");
        assertThatThrownBy(() -> TopologySpec.parse("name: t\nsites: [{name: s, nat: none, subnet: 100.64.1.1/24, hosts: [h]}]"))
                .hasMessage("sites[0].subnet: has host bits set; did you mean 100.64.1.0/24? (got \"100.64.1.1/24\")");
        assertThatThrownBy(() -> TopologySpec.parse("name: t\ninternet: {hosts: [{name: h, address: 203.0.113.300}]}"))
                .hasMessage("internet.hosts[0].address: is not an IPv4 address (got \"203.0.113.300\")");
        assertThatThrownBy(() -> TopologySpec.parse("sites: []"))
                .hasMessage("name: is required");
    }

    @Test
    void podsSitBehindTheirHostOnAPodBridge() {
        Plan plan = Planner.plan(TopologySpec.parse("""
                name: pods
                internet: {probe: false}
                sites:
                  - {name: s, nat: port-restricted, hosts: [{name: n1, pods: [web1, web2]}, n2, {name: n3, pods: [client]}]}
                """), "t4");
        assertThat(plan.node("web1").orElseThrow()).satisfies(n -> {
            assertThat(n.kind()).isEqualTo(Node.Kind.POD);
            assertThat(n.addresses()).containsExactly("198.19.1.10/24");
            assertThat(n.gateway()).isEqualTo("198.19.1.1");
            assertThat(n.namespace()).isEqualTo("kt-t4-p-web1");
        });
        assertThat(plan.node("web2").orElseThrow().address()).isEqualTo("198.19.1.11");
        assertThat(plan.node("client").orElseThrow().address()).isEqualTo("198.19.2.10");
        assertThat(plan.steps()).map(Step::toString).contains(
                "ip -n kt-t4-h-n1 addr add 198.19.1.1/24 dev pods0",
                "ip netns exec kt-t4-h-n1 iptables -t nat -A POSTROUTING -s 198.19.1.0/24 ! -o pods0 -j MASQUERADE",
                "ip link add name eth0 netns kt-t4-p-web2 type veth peer name vp1 netns kt-t4-h-n1",
                "ip -n kt-t4-p-client route add default via 198.19.2.1");
        assertThat(plan.hosts()).extracting(Node::name).contains("web1", "web2", "client", "n1", "n2", "n3");
        assertThatThrownBy(() -> Planner.plan(TopologySpec.parse(
                "name: t\nsites: [{name: s, nat: none, hosts: [{name: n1, pods: [n1]}]}]"), "x"))
                .hasMessage("sites[0].hosts[0].pods[0]: names must be unique across the topology (got \"n1\")");
    }
}
