package io.kedge.topo.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.common.exec.CommandResult;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.Topology;
import io.kedge.topo.plan.Node;
import io.kedge.topo.probe.NatBehaviour;
import io.kedge.topo.probe.NatProber;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Self-tests of the topologies: every NAT we build behaves as declared when probed, NATed hosts
 * reach the internet segment but cannot be reached unsolicited from it, hosts on one LAN talk
 * directly, and nothing leaves the topology.
 */
@WithTopology("topologies/nat-types.yaml")
class NatTopologyIT {
    static final int PORT = 7070;

    @BeforeAll
    static void startServers(Topology topo) {
        for (String host : List.of("relay", "r1", "p1", "p2", "s1", "u1")) {
            topo.host(host).startJava("whoami", WhoAmIServer.class.getName(), String.valueOf(PORT))
                    .awaitLine(Pattern.compile("READY"), Duration.ofSeconds(30));
        }
    }

    /** What the server at ip:port says our address is, or null if the connection failed. */
    static String whoAmI(Host from, String ip) {
        CommandResult r = from.exec(Duration.ofSeconds(10),
                List.of("timeout", "3", "bash", "-c", "exec 3<>/dev/tcp/" + ip + "/" + PORT + " && head -n1 <&3"), null);
        return r.ok() ? r.stdout().strip() : null;
    }

    @Test
    void everyNatClassifiesAsDeclared(Topology topo) {
        List<Host> siteHosts = topo.hosts().stream().filter(h -> h.node().kind() == Node.Kind.HOST).toList();
        Map<String, NatBehaviour> measured = NatProber.classify(topo, siteHosts);
        for (Host h : siteHosts) {
            assertThat(measured.get(h.name()).classification()).as("NAT in front of %s: %s", h.name(), measured.get(h.name()))
                    .isEqualTo(h.node().nat().yamlName());
        }
        // The symmetric NAT picks a new port per destination; the port-restricted one keeps one mapping.
        assertThat(measured.get("s1").mapping()).isNotEqualTo(NatBehaviour.Kind.ENDPOINT_INDEPENDENT);
        assertThat(measured.get("p1").mapping()).isEqualTo(NatBehaviour.Kind.ENDPOINT_INDEPENDENT);
        assertThat(measured.get("p1").filtering()).isEqualTo(NatBehaviour.Kind.ADDRESS_AND_PORT_DEPENDENT);
    }

    @Test
    void natedHostsReachTheInternetSegmentBehindTheirGatewayAddress(Topology topo) {
        String relay = topo.host("relay").address();
        assertThat(whoAmI(topo.host("p1"), relay)).isEqualTo(topo.host("gw-p").address());
        assertThat(whoAmI(topo.host("s1"), relay)).isEqualTo(topo.host("gw-s").address());
        assertThat(whoAmI(topo.host("u1"), relay)).as("TCP crosses a udp-blocked NAT").isEqualTo(topo.host("gw-u").address());
        assertThat(whoAmI(topo.host("r1"), relay)).as("a routed site is not translated").isEqualTo(topo.host("r1").address());
    }

    @Test
    void natedHostsCannotBeReachedUnsolicited(Topology topo) {
        Host relay = topo.host("relay");
        for (String natted : List.of("p1", "s1", "u1")) {
            Host target = topo.host(natted);
            assertThat(whoAmI(relay, target.address())).as("private address of %s from the internet", natted).isNull();
            String gateway = topo.host("gw-" + target.node().site()).address();
            assertThat(whoAmI(relay, gateway)).as("gateway of %s forwards nothing unsolicited", natted).isNull();
        }
        // Even a host on the internet segment that knows a route to the private subnet gets nowhere.
        Host gwP = topo.host("gw-p");
        relay.execOk("ip", "route", "add", "100.64.2.0/24", "via", gwP.address());
        try {
            assertThat(whoAmI(relay, topo.host("p1").address())).isNull();
        } finally {
            relay.execOk("ip", "route", "del", "100.64.2.0/24");
        }
        assertThat(whoAmI(relay, topo.host("r1").address())).as("a routed host is reachable").isEqualTo(relay.address());
    }

    @Test
    void hostsOnOneLanTalkDirectly(Topology topo) {
        assertThat(whoAmI(topo.host("p1"), topo.host("p2").address())).isEqualTo(topo.host("p1").address());
    }

    @Test
    void nothingLeavesTheTopology(Topology topo) {
        for (Host h : topo.hosts()) {
            CommandResult routes = h.exec("ip", "-4", "route", "show");
            assertThat(routes.stdout()).as("routes of %s", h.name())
                    .doesNotContainPattern("(^|[^0-9.])(10\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|192\\.168\\.)");
            CommandResult links = h.exec("ip", "-o", "link", "show");
            assertThat(links.stdout().lines().filter(l -> !l.contains(": lo:") && !l.contains(": eth0@")).toList())
                    .as("links of %s", h.name()).isEmpty();
        }
        // A gateway has no default route: traffic to anything outside the topology dies there.
        for (Host gw : topo.gateways()) {
            assertThat(gw.exec("ip", "-4", "route", "show", "default").stdout()).as("default route of %s", gw.name()).isBlank();
        }
        // From a NATed host, an address outside the topology is unreachable.
        CommandResult ping = topo.host("p1").exec("ping", "-c", "1", "-W", "1", "198.18.200.1");
        assertThat(ping.ok()).isFalse();
    }

    @Test
    void processOutputIsKeptForFailureReports(Topology topo) {
        HostProcess p = topo.processes().get(0);
        assertThat(p.output()).contains("READY");
        assertThat(p.isAlive()).isTrue();
    }
}
