package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Topology;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tunnel across the NAT types the topologies build, with a mesh-server on the internet
 * segment: p1 and p2 share a port-restricted LAN, r1 is routed without NAT, s1 sits behind a
 * symmetric NAT. Each node runs the tunnel (TunnelNode) with a TCP and a UDP echo on its address.
 */
@WithTopology("topologies/nat-types.yaml")
class TunnelIT {
    static final TunnelNodes tunnel = new TunnelNodes();

    @BeforeAll
    static void start(Topology topo) throws IOException {
        tunnel.startMeshServer(topo.host("relay"));
        tunnel.startAll(topo, List.of("p1", "p2", "r1", "s1"));
    }

    @Test
    void nodesOnOneLanConnectOverHostCandidates() throws Exception {
        tunnel.awaitRegistered("p1");
        tunnel.awaitRegistered("p2");
        assertThat(tunnel.tcp("p1", "p2", "hello-lan")).isEqualTo("RESULT ok hello-lan");
        assertThat(tunnel.udp("p1", "p2", "datagram-lan")).isEqualTo("RESULT ok datagram-lan");
        assertThat(tunnel.peerPath("p1", "p2")).isEqualTo("direct-lan");
        // The same tunnel carries streams the other way.
        assertThat(tunnel.tcp("p2", "p1", "back")).isEqualTo("RESULT ok back");
    }

    @Test
    void theReceivingAgentDialsOnlyItsOwnEndpoints() throws Exception {
        tunnel.awaitRegistered("p1");
        tunnel.awaitRegistered("p2");
        // Ask p2 to dial p1's address: not p2's own, so p2 refuses with a reason.
        String r = tunnel.command("p1", "tcp p2 " + tunnel.addresses.get("p1") + " 7000 nope", "RESULT");
        assertThat(r).startsWith("RESULT fail").contains("refused").contains("is not on node p2");
    }

    /**
     * r1 is routed without NAT; p1 sits behind a port-restricted NAT. ICE connects them directly:
     * p1's packets to r1's host candidate open p1's NAT for r1's answers (r1 sees p1 as a
     * peer-reflexive candidate). No relay is involved.
     */
    @Test
    void aRoutedNodeAndANatedNodeConnectDirectly(Topology topo) throws Exception {
        tunnel.awaitRegistered("r1");
        tunnel.awaitRegistered("p1");
        assertThat(tunnel.tcp("p1", "r1", "hello-routed")).isEqualTo("RESULT ok hello-routed");
        assertThat(tunnel.udp("p1", "r1", "datagram-routed")).isEqualTo("RESULT ok datagram-routed");
        assertThat(tunnel.peerPath("p1", "r1")).isEqualTo("direct-punched");
        assertThat(tunnel.peerPath("r1", "p1")).isEqualTo("direct-punched");
        // Both ends gathered relayed candidates; a direct tunnel gives those allocations back (r1
        // talks to nobody else here), so the relay holds none of r1's.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(TunnelNodes.allocations(topo.host("relay"))).doesNotContain("\"r1\""));
    }

    /**
     * The direct TCP lane: r1's TLS listener can be reached from p1 (behind a port-restricted NAT)
     * and from s1 (behind a symmetric NAT), so their TCP streams to r1 take it; p1's listener sits behind its NAT, so r1's streams to p1 stay on QUIC.
     * UDP goes over QUIC either way.
     */
    @Test
    void tcpStreamsTakeTheDirectLaneWhereThePeersListenerCanBeReached() throws Exception {
        for (String node : List.of("p1", "r1", "s1")) {
            tunnel.awaitRegistered(node);
        }
        assertThat(tunnel.tcp("p1", "r1", "opens-the-tunnel")).isEqualTo("RESULT ok opens-the-tunnel");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(tunnel.peerField("p1", "r1", "directTcp")).startsWith(tunnel.addresses.get("r1") + ":"));
        double before = laneStreams("p1", "tcp");
        assertThat(tunnel.tcp("p1", "r1", "over-the-lane")).isEqualTo("RESULT ok over-the-lane");
        assertThat(laneStreams("p1", "tcp")).isEqualTo(before + 1);
        double quicBefore = laneStreams("p1", "quic");
        assertThat(tunnel.udp("p1", "r1", "datagram-on-quic")).isEqualTo("RESULT ok datagram-on-quic");
        assertThat(laneStreams("p1", "quic")).isEqualTo(quicBefore + 1);

        // r1's probe of p1's listener ends at p1's NAT: its streams keep going over QUIC.
        assertThat(tunnel.tcp("r1", "p1", "back-on-quic")).isEqualTo("RESULT ok back-on-quic");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(tunnel.metric("r1", "kedge_tunnel_direct_tcp_probes_total")).contains("unreachable"));
        assertThat(tunnel.peerField("r1", "p1", "directTcpProbe")).isEqualTo("unreachable");
        assertThat(tunnel.peerField("r1", "p1", "directTcp")).isNull();
        assertThat(laneStreams("r1", "tcp")).isZero();

        // Through a symmetric NAT as well.
        assertThat(tunnel.tcp("s1", "r1", "symmetric-nat")).isEqualTo("RESULT ok symmetric-nat");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(tunnel.peerField("s1", "r1", "directTcp")).startsWith(tunnel.addresses.get("r1") + ":"));
        assertThat(tunnel.tcp("s1", "r1", "lane-from-s1")).isEqualTo("RESULT ok lane-from-s1");
        assertThat(laneStreams("s1", "tcp")).isEqualTo(1);
    }

    /** Streams {@code node} opened on {@code lane} (quic or tcp), from its metrics. */
    private static double laneStreams(String node, String lane) throws IOException {
        String samples = tunnel.metric(node, "kedge_tunnel_streams_opened_total");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("lane=\"" + lane + "\"\\} ([0-9.E]+)").matcher(samples);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** s1's symmetric NAT maps every destination to a new port: no hole lines up, so the tunnel goes through the relay. */
    @Test
    void aSymmetricNatIsCrossedThroughTheRelay() throws Exception {
        tunnel.awaitRegistered("s1");
        tunnel.awaitRegistered("p2");
        assertThat(tunnel.tcp("p2", "s1", "hello-relayed")).isEqualTo("RESULT ok hello-relayed");
        assertThat(tunnel.udp("p2", "s1", "datagram-relayed")).isEqualTo("RESULT ok datagram-relayed");
        assertThat(tunnel.peerPath("p2", "s1")).isEqualTo("relayed");
        assertThat(tunnel.tcp("s1", "p2", "back-relayed")).isEqualTo("RESULT ok back-relayed");
    }

    /**
     * A relayed tunnel pairs this node's relayed candidate with every address the peer offered, and
     * the relay refuses permissions towards some (private host addresses, its own network). ice4j
     * asked again the moment a refusal came back, thousands of times a second for as long as the
     * tunnel lived; the agent now backs a refused address off (RefusalAwareTurnHarvester).
     */
    @Test
    void refusedPermissionsAreNotAskedForAgainAndAgain(Topology topo) throws Exception {
        tunnel.awaitRegistered("s1");
        tunnel.awaitRegistered("p2");
        assertThat(tunnel.tcp("p2", "s1", "refusals")).isEqualTo("RESULT ok refusals");
        assertThat(tunnel.peerPath("p2", "s1")).isEqualTo("relayed");
        long before = refusedPermissions(topo);
        Thread.sleep(6_000);
        long after = refusedPermissions(topo);
        assertThat(after).as("the relay refused some permission (else this test checks nothing)").isPositive();
        // With the loop this was tens of thousands; with the back-off at most a few per refused address.
        assertThat(after - before).as("CreatePermission requests refused in 6 s").isLessThan(40);
    }

    /** CreatePermission requests mesh-server answered 403, from its metrics. */
    private static long refusedPermissions(Topology topo) {
        String metrics = topo.host("relay").exec("curl", "-s", "http://127.0.0.1:9478/metrics").stdout();
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("kedge_turn_requests_total\\{method=\"CreatePermission\",result=\"403\"\\} ([0-9.E]+)").matcher(metrics);
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    /**
     * p2's agent restarts (a new process: new ICE credentials, new certificate). p1's tunnel to the
     * old process dies with its QUIC idle timeout; the next streams set up a new tunnel on their own.
     */
    @Test
    void trafficRecoversAfterThePeerRestarts(Topology topo) throws Exception {
        tunnel.awaitRegistered("p1");
        tunnel.awaitRegistered("p2");
        assertThat(tunnel.tcp("p1", "p2", "before-restart")).isEqualTo("RESULT ok before-restart");
        tunnel.nodes.get("p2").kill();
        tunnel.awaitReady(tunnel.start(topo.host("p2"), "tunnel-p2-restarted"));
        tunnel.awaitRegistered("p2");
        String last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            last = tunnel.tcp("p1", "p2", "after-restart");
            if (last.equals("RESULT ok after-restart")) {
                break;
            }
            Thread.sleep(1000);
        }
        assertThat(last).isEqualTo("RESULT ok after-restart");
        assertThat(tunnel.udp("p1", "p2", "udp-after-restart")).isEqualTo("RESULT ok udp-after-restart");
    }
}
