package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.tunnel.TunnelNode;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.Topology;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A relayed tunnel moves onto a direct path when one opens, make-before-break. p1 (behind a
 * port-restricted NAT) and n1 (routed, no NAT) normally meet direct-punched (see NatMatrixIT); a
 * firewall on p1's gateway drops UDP between the two, so their tunnel starts relayed. A long-lived
 * TCP stream is held open across the tunnel. While the firewall stands, p1's tries for a direct
 * path fail and change nothing; once it is gone, a try succeeds: both ends show direct-punched, the
 * stream opened before the move still echoes (it finishes on the relayed connection), new streams
 * in both directions work, and after the held stream ends the relay holds no allocation of either
 * node. The nodes try every 2 to 4 seconds here (30 s doubling to 10 min by default).
 */
@WithTopology("path-upgrade.yaml")
class PathUpgradeIT {
    static final TunnelNodes tunnel = new TunnelNodes();
    static Topology topology;

    @BeforeAll
    static void start(Topology topo) throws IOException {
        topology = topo;
        // A setup (and an upgrade: twice that) may take long on a loaded machine: this test is about what follows.
        tunnel.nodeOptions("-Dkedge.tunnel.upgradeFirstDelay=2", "-Dkedge.tunnel.upgradeMaxDelay=4",
                "-Dkedge.tunnel.upgradeDrainTimeout=120", "-Dkedge.tunnel.setupTimeout=40");
        tunnel.startMeshServer(topo.host("relay"));
        List<HostProcess> started = List.of(tunnel.start(topo.host("p1"), "tunnel-p1"), tunnel.start(topo.host("n1"), "tunnel-n1"));
        started.forEach(tunnel::awaitReady);
    }

    @Test
    void aRelayedTunnelMovesOntoTheDirectPathWhenItOpensAndKeepsItsOpenStreams() throws Exception {
        tunnel.awaitRegistered("p1");
        tunnel.awaitRegistered("n1");
        Host gateway = topology.host("gw-pa");
        String rules = firewall("p1", "n1");
        HostProcess p1 = tunnel.nodes.get("p1");
        String n1 = topology.host("n1").address();
        String since;
        TunnelNodes.iptables(gateway, "-I", rules);
        try {
            assertThat(tunnel.command("p1", "hold long n1 " + n1 + " " + TunnelNode.TCP_ECHO, "RESULT")).isEqualTo("RESULT ok held");
            assertThat(tunnel.peerPath("p1", "n1")).isEqualTo("relayed");
            assertThat(tunnel.peerPath("n1", "p1")).isEqualTo("relayed");
            since = tunnel.peerField("p1", "n1", "since");
            long mark = p1.mark();
            assertThat(say("before")).isEqualTo("RESULT ok before");
            // Tries while the firewall stands fail, and the relayed tunnel carries on as it was.
            p1.awaitLine(Pattern.compile(".*tunnel to n1: no direct path this time.*"), Duration.ofSeconds(90), mark);
            assertThat(tunnel.peerPath("p1", "n1")).isEqualTo("relayed");
            assertThat(tunnel.peerField("p1", "n1", "upgrades")).isEqualTo("0");
            assertThat(say("still-relayed")).isEqualTo("RESULT ok still-relayed");
        } finally {
            TunnelNodes.iptables(gateway, "-D", rules);
        }

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            assertThat(tunnel.peerPath("p1", "n1")).isEqualTo("direct-punched");
            assertThat(tunnel.peerPath("n1", "p1")).isEqualTo("direct-punched");
        });
        assertThat(tunnel.peerField("p1", "n1", "since")).isEqualTo(since);
        assertThat(tunnel.peerField("p1", "n1", "upgrades")).isEqualTo("1");
        assertThat(tunnel.peerField("p1", "n1", "upgradedAt")).isNotNull();
        assertThat(tunnel.peerField("p1", "n1", "via")).isNull();
        // The stream opened before the move finishes on the relayed connection, which waits for it.
        assertThat(tunnel.peerField("p1", "n1", "draining")).isEqualTo("1");
        assertThat(tunnel.peerField("n1", "p1", "draining")).isEqualTo("1");
        assertThat(say("after-the-move")).isEqualTo("RESULT ok after-the-move");
        tunnel.assertEchoes("p1", "n1", "new-stream");
        tunnel.assertEchoes("n1", "p1", "new-stream-back");
        assertThat(tunnel.peerPath("p1", "n1")).isEqualTo("direct-punched");
        assertThat(say("once-more")).isEqualTo("RESULT ok once-more");

        assertThat(tunnel.command("p1", "drop long", "RESULT")).isEqualTo("RESULT ok dropped");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            assertThat(tunnel.peerField("p1", "n1", "draining")).isEqualTo("0");
            assertThat(tunnel.peerField("n1", "p1", "draining")).isEqualTo("0");
            String allocations = TunnelNodes.allocations(topology.host("relay"));
            assertThat(allocations).doesNotContain("\"p1\"").doesNotContain("\"n1\"");
        });
        tunnel.assertEchoes("p1", "n1", "after-the-drain");
        assertThat(tunnel.metric("p1", "kedge_tunnel_upgrades_total")).contains("kedge_tunnel_upgrades_total{result=\"success\"} 1.0")
                .contains("result=\"ice_failed\"");
        assertThat(tunnel.metric("n1", "kedge_tunnel_upgrades_total")).contains("kedge_tunnel_upgrades_total{result=\"success\"} 1.0");
        assertThat(tunnel.metric("p1", "kedge_tunnels")).contains("kedge_tunnels{path=\"direct-punched\"} 1.0")
                .contains("kedge_tunnels{path=\"relayed\"} 0.0");
        assertThat(tunnel.peerField("p1", "n1", "since")).isEqualTo(since);
        tunnel.nodes.get("p1").output().lines().filter(l -> l.contains("tunnel to n1")).forEach(l -> System.out.println("p1: " + l));
    }

    private static String say(String text) throws IOException {
        return tunnel.command("p1", "say long " + text, "RESULT");
    }

    /** The gateway's FORWARD rules that drop UDP between {@code a} (on its site) and {@code b}, both ways, one per line. */
    private static String firewall(String a, String b) {
        String from = topology.host(a).address();
        String to = topology.host(b).address();
        return String.join("\n",
                "FORWARD -s " + from + " -d " + to + " -p udp -j DROP",
                "FORWARD -s " + to + " -d " + from + " -p udp -j DROP");
    }
}
