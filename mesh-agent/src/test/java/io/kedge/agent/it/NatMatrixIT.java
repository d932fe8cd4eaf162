package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Topology;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The tunnel between every ordered pair of site types {none, port-restricted, symmetric,
 * udp-blocked} (16 pairs): an HTTP request and a UDP echo through the tunnel, and the path both
 * ends report. Two sites of each type with one node each (and u3 on u1's LAN); mesh-server on the internet segment.
 * A pair (A, B) of different types is A's first node offering to B's first node, (B, A) B's second
 * node offering to A's second; a same-type pair is the first node offering to the second (two
 * sites, never one LAN). Each pair is a tunnel of its own, so who offers is what the order says.
 *
 * <p>What each pair must take, from what the NATs do (test-network.md):
 * <ul>
 *   <li>either end udp-blocked: no UDP leaves that site, so both ends meet through TURN allocations
 *       held over TCP: {@code tcp-relay};</li>
 *   <li>both none: routed, no NAT either way, host candidate to host candidate: {@code direct-lan};</li>
 *   <li>one end none: the NATed end's check to the routed host's address opens its own mapping, and
 *       the routed end answers through it, whatever the mapping policy (symmetric included):
 *       {@code direct-punched};</li>
 *   <li>symmetric with port-restricted or symmetric: the symmetric NAT's mapping towards the peer is
 *       not the one the relay saw, and the other NAT filters by port, so no hole lines up:
 *       {@code relayed};</li>
 *   <li>both port-restricted: {@code relayed} as well, with these (Linux) NATs. Their mappings are
 *       endpoint-independent, but the first check to arrive at a gateway, from the peer's mapped
 *       address to the gateway's own, finds no mapping and leaves a conntrack entry for the gateway
 *       itself; the local node's check to that same peer address then clashes with it, so
 *       MASQUERADE gives it another source port, which the peer's NAT filters out. Punching would
 *       need both first checks to leave before either arrives (tens of microseconds here).</li>
 * </ul>
 * Beside the tunnel, the direct TCP lane: an end whose peer sits in a site without NAT reaches the
 * peer's TLS listener (from behind any NAT, also from a udp-blocked site) and its TCP streams take
 * it; towards a NATed peer there is none.
 */
@WithTopology("nat-matrix.yaml")
class NatMatrixIT {
    enum Site {
        NONE("none", "n"), PORT_RESTRICTED("port-restricted", "p"), SYMMETRIC("symmetric", "s"), UDP_BLOCKED("udp-blocked", "u");

        final String label;
        final String prefix;

        Site(String label, String prefix) {
            this.label = label;
            this.prefix = prefix;
        }
    }

    static final TunnelNodes tunnel = new TunnelNodes();

    @BeforeAll
    static void start(Topology topo) throws IOException {
        tunnel.startMeshServer(topo.host("relay"));
        List<String> names = new ArrayList<>();
        for (Site site : Site.values()) {
            names.add(site.prefix + 1);
            names.add(site.prefix + 2);
        }
        names.add("u3");
        tunnel.startAll(topo, names);
    }

    static String expectedPath(Site a, Site b) {
        if (a == Site.UDP_BLOCKED || b == Site.UDP_BLOCKED) {
            return "tcp-relay";
        }
        if (a == Site.NONE && b == Site.NONE) {
            return "direct-lan";
        }
        if (a == Site.NONE || b == Site.NONE) {
            return "direct-punched";
        }
        return "relayed";
    }

    /** One ordered pair of site types: node {@code from} (of type a) offers to node {@code to} (of type b). */
    record Pair(Site a, Site b, String from, String to, String expected) {
        /** Whether {@code from} finds a direct TCP lane to {@code to}: {@code to}'s listener is routed. */
        boolean laneForward() {
            return b == Site.NONE;
        }

        boolean laneBack() {
            return a == Site.NONE;
        }

        String label() {
            return a.label + " -> " + b.label + " (" + from + " -> " + to + "): " + expected;
        }
    }

    /**
     * The 16 ordered pairs over nodes {@code <prefix>1} and {@code <prefix>2} of each type, so that
     * every pair is a node pair of its own (see the class comment).
     */
    static List<Pair> orderedPairs() {
        List<Pair> pairs = new ArrayList<>();
        for (Site a : Site.values()) {
            for (Site b : Site.values()) {
                String from = a.prefix + (a.ordinal() <= b.ordinal() ? 1 : 2);
                String to = b.prefix + (a == b ? 2 : a.ordinal() < b.ordinal() ? 1 : 2);
                pairs.add(new Pair(a, b, from, to, expectedPath(a, b)));
            }
        }
        return pairs;
    }

    @TestFactory
    Stream<DynamicTest> everyOrderedPairOfSiteTypes() {
        return orderedPairs().stream().map(p -> DynamicTest.dynamicTest(p.label(), () -> pair(p.from(), p.to(), p.expected(), p.laneForward(), p.laneBack())));
    }

    /**
     * u1 and u3 share the LAN of a udp-blocked site: the gateway drops UDP it forwards, not UDP
     * within the LAN. The offer carries u1's host candidates next to its allocation over TCP; u3
     * sees they are on its own subnet and answers with ICE, so the tunnel stays on the LAN.
     */
    @Test
    void udpBlockedNodesOnOneLanConnectOverTheLan() throws Exception {
        pair("u1", "u3", "direct-lan", true, true);
    }

    static void pair(String from, String to, String expected, boolean laneForward, boolean laneBack) throws Exception {
        tunnel.awaitRegistered(from);
        tunnel.awaitRegistered(to);
        System.out.printf("pair %s -> %s: expecting %s%n", from, to, expected);
        assertThat(tunnel.http(from, to, "/matrix/" + from)).isEqualTo("RESULT ok 200 OK hello from " + to + " /matrix/" + from);
        assertThat(tunnel.udp(from, to, "datagram-" + from + "-" + to)).isEqualTo("RESULT ok datagram-" + from + "-" + to);
        assertThat(tunnel.peerPath(from, to)).as("path %s reports to %s", from, to).isEqualTo(expected);
        assertThat(tunnel.peerPath(to, from)).as("path %s reports to %s", to, from).isEqualTo(expected);
        // The answering end's streams ride the same tunnel.
        assertThat(tunnel.tcp(to, from, "back-" + to)).isEqualTo("RESULT ok back-" + to);
        assertLane(from, to, laneForward);
        assertLane(to, from, laneBack);
    }

    /** Whether {@code from} has a direct TCP lane to {@code to} (awaited when one is expected), and a TCP stream over it. */
    static void assertLane(String from, String to, boolean expected) throws Exception {
        if (expected) {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(tunnel.peerField(from, to, "directTcp")).as("%s's direct TCP lane to %s", from, to)
                            .startsWith(tunnel.addresses.get(to) + ":"));
            assertThat(tunnel.peerField(from, to, "directTcpProbe")).isEqualTo("open");
            assertThat(tunnel.tcp(from, to, "lane-" + from)).isEqualTo("RESULT ok lane-" + from);
        } else {
            // Once the probe has ended (towards a NATed listener the handshake never comes back), no lane.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(tunnel.peerField(from, to, "directTcpProbe")).as("%s's probe of %s", from, to)
                            .isIn("unreachable", "none-offered"));
            assertThat(tunnel.peerField(from, to, "directTcp")).as("%s's direct TCP lane to %s", from, to).isNull();
        }
    }
}
