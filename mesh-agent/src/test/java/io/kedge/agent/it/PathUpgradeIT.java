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
 * A tunnel that runs over a relay moves onto a direct path when one opens, make-before-break.
 * Nodes behind a port-restricted NAT (p1, p2) and routed ones (n1, n2) normally meet
 * direct-punched (see NatMatrixIT); a firewall on the NAT's gateway makes their tunnel start on a
 * relay, and a long-lived TCP stream is held open across it. While the firewall stands, the
 * offerer's tries for a direct path fail and change nothing; once it is gone, a try succeeds: both
 * ends show direct-punched with the tunnel's original {@code since}, the stream opened before the
 * move still echoes (it finishes on the relayed connection, which both ends keep for it), new
 * streams in both directions work, and after the held stream ends the relay holds no allocation of
 * either node. The nodes try every 2 to 4 seconds here (30 s doubling to 10 min by default).
 */
@WithTopology("path-upgrade.yaml")
class PathUpgradeIT {
    static final TunnelNodes tunnel = new TunnelNodes();
    static Topology topology;

    @BeforeAll
    static void start(Topology topo) throws IOException {
        topology = topo;
        // A setup (and an upgrade: twice that) may take long on a loaded machine: these tests are about what follows.
        tunnel.nodeOptions("-Dkedge.tunnel.upgradeFirstDelay=2", "-Dkedge.tunnel.upgradeMaxDelay=4",
                "-Dkedge.tunnel.upgradeDrainTimeout=120", "-Dkedge.tunnel.setupTimeout=40");
        tunnel.startMeshServer(topo.host("relay"));
        tunnel.startAll(topo, List.of("p1", "n1", "p2", "n2"));
    }

    /** UDP between p1 and n1 dropped both ways: ICE meets through the relay's UDP allocations. */
    @Test
    void aRelayedTunnelMovesOntoTheDirectPathWhenItOpensAndKeepsItsOpenStreams() throws Exception {
        String p1 = topology.host("p1").address();
        String n1 = topology.host("n1").address();
        moveOnceTheFirewallGoes("p1", "n1", "relayed", String.join("\n",
                "FORWARD -s " + p1 + " -d " + n1 + " -p udp -j DROP",
                "FORWARD -s " + n1 + " -d " + p1 + " -p udp -j DROP"));
    }

    /** No ICE check from p2 gets through (IceRetryIT's firewall): ICE fails twice and the tunnel takes the TCP relay. */
    @Test
    void aTunnelOnTheTcpRelayMovesOntoTheDirectPathToo() throws Exception {
        moveOnceTheFirewallGoes("p2", "n2", "tcp-relay", TunnelNodes.iceChecksDropped(topology.host("p2"), topology.host("relay")));
    }

    private static void moveOnceTheFirewallGoes(String from, String to, String relayedPath, String rules) throws Exception {
        tunnel.awaitRegistered(from);
        tunnel.awaitRegistered(to);
        Host gateway = topology.host("gw-pa");
        HostProcess offerer = tunnel.nodes.get(from);
        String target = topology.host(to).address();
        String since;
        TunnelNodes.iptables(gateway, "-I", rules);
        try {
            assertThat(tunnel.command(from, "hold long " + to + " " + target + " " + TunnelNode.TCP_ECHO, "RESULT")).isEqualTo("RESULT ok held");
            assertThat(tunnel.peerPath(from, to)).isEqualTo(relayedPath);
            assertThat(tunnel.peerPath(to, from)).isEqualTo(relayedPath);
            since = tunnel.peerField(from, to, "since");
            long mark = offerer.mark();
            assertThat(say(from, "before")).isEqualTo("RESULT ok before");
            // Tries while the firewall stands fail, and the tunnel carries on as it was.
            offerer.awaitLine(Pattern.compile(".*tunnel to " + to + ": no direct path this time.*"), Duration.ofSeconds(90), mark);
            assertThat(tunnel.peerPath(from, to)).isEqualTo(relayedPath);
            assertThat(tunnel.peerField(from, to, "upgrades")).isEqualTo("0");
            assertThat(say(from, "still-on-the-relay")).isEqualTo("RESULT ok still-on-the-relay");
        } finally {
            TunnelNodes.iptables(gateway, "-D", rules);
        }

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            assertThat(tunnel.peerPath(from, to)).isEqualTo("direct-punched");
            assertThat(tunnel.peerPath(to, from)).isEqualTo("direct-punched");
        });
        assertThat(tunnel.peerField(from, to, "since")).isEqualTo(since);
        assertThat(tunnel.peerField(from, to, "upgrades")).isEqualTo("1");
        assertThat(tunnel.peerField(from, to, "upgradedAt")).isNotNull();
        assertThat(tunnel.peerField(from, to, "via")).isNull();
        // The stream opened before the move finishes on the relayed connection, which both ends keep for it.
        assertThat(tunnel.peerField(from, to, "draining")).isEqualTo("1");
        assertThat(tunnel.peerField(to, from, "draining")).isEqualTo("1");
        assertThat(say(from, "after-the-move")).isEqualTo("RESULT ok after-the-move");
        tunnel.assertEchoes(from, to, "new-stream");
        tunnel.assertEchoes(to, from, "new-stream-back");
        assertThat(tunnel.peerPath(from, to)).isEqualTo("direct-punched");
        assertThat(say(from, "once-more")).isEqualTo("RESULT ok once-more");

        assertThat(tunnel.command(from, "drop long", "RESULT")).isEqualTo("RESULT ok dropped");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            assertThat(tunnel.peerField(from, to, "draining")).isEqualTo("0");
            assertThat(tunnel.peerField(to, from, "draining")).isEqualTo("0");
            assertThat(TunnelNodes.allocations(topology.host("relay"))).doesNotContain("\"" + from + "\"").doesNotContain("\"" + to + "\"");
        });
        tunnel.assertEchoes(from, to, "after-the-drain");
        assertThat(tunnel.peerField(from, to, "since")).isEqualTo(since);
        assertThat(tunnel.metric(from, "kedge_tunnel_upgrades_total")).contains("kedge_tunnel_upgrades_total{result=\"success\"} 1.0");
        assertThat(tunnel.metric(to, "kedge_tunnel_upgrades_total")).contains("kedge_tunnel_upgrades_total{result=\"success\"} 1.0");
        assertThat(tunnel.metric(from, "kedge_tunnels")).contains("kedge_tunnels{path=\"direct-punched\"} 1.0")
                .contains("kedge_tunnels{path=\"" + relayedPath + "\"} 0.0");
        offerer.output().lines().filter(l -> l.contains("tunnel to " + to)).forEach(l -> System.out.println(from + ": " + l));
    }

    private static String say(String from, String text) throws IOException {
        return tunnel.command(from, "say long " + text, "RESULT");
    }
}
