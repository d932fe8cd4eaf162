package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.Topology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A setup whose ICE fails is offered again within the same wait, so the stream that asked for the
 * tunnel gets through: ICE once more, and after a second failure the TCP relay. ICE is made to
 * fail for real: a firewall on the offering site's gateway lets STUN and TURN control messages
 * through to the relay (so gathering finds server-reflexive and relayed candidates and the site
 * does not look UDP-blocked) but drops everything that would carry checks or data: UDP to any
 * other address or port, and TURN Send indications and ChannelData to the relay.
 */
@WithTopology("ice-retry.yaml")
class IceRetryIT {
    static final TunnelNodes tunnel = new TunnelNodes();
    static Topology topology;

    @BeforeAll
    static void start(Topology topo) throws IOException {
        topology = topo;
        tunnel.startMeshServer(topo.host("relay"));
        tunnel.startAll(topo, List.of("p1", "p2", "p3"));
    }

    @Test
    void aSetupWhoseIceFailedOnceIsOfferedAgainAndTheWaitingStreamGetsThrough() throws Exception {
        tunnel.awaitRegistered("p1");
        tunnel.awaitRegistered("p2");
        Host gateway = topology.host("gw-pa");
        String rules = firewall("p1");
        HostProcess p1 = tunnel.nodes.get("p1");
        long mark = p1.mark();
        TunnelNodes.iptables(gateway, "-I", rules);
        CompletableFuture<String> get = request("p1", "p2", "/retry");
        try {
            p1.awaitLine(Pattern.compile(".*tunnel to p2 failed at ice \\(attempt 1\\), setting up again.*"), Duration.ofSeconds(60), mark);
        } finally {
            TunnelNodes.iptables(gateway, "-D", rules); // the second round of checks finds the path open
        }
        assertThat(get.get(90, TimeUnit.SECONDS)).isEqualTo("RESULT ok 200 OK hello from p2 /retry");
        assertThat(tunnel.peerField("p1", "p2", "attempt")).isEqualTo("1");
        assertThat(tunnel.peerPath("p1", "p2")).isIn("relayed", "direct-punched");
        assertThat(tunnel.peerPath("p2", "p1")).isEqualTo(tunnel.peerPath("p1", "p2"));
        tunnel.assertEchoes("p2", "p1", "after-retry");
        printTunnelLines("p1");
    }

    @Test
    void iceThatFailsTwiceEndsOnTheTcpRelayWithinTheSameWait() throws Exception {
        tunnel.awaitRegistered("p3");
        tunnel.awaitRegistered("p2");
        Host gateway = topology.host("gw-pc");
        String rules = firewall("p3");
        TunnelNodes.iptables(gateway, "-I", rules);
        try {
            assertThat(tunnel.http("p3", "p2", "/blocked")).isEqualTo("RESULT ok 200 OK hello from p2 /blocked");
            assertThat(tunnel.peerField("p3", "p2", "attempt")).isEqualTo("2");
            assertThat(tunnel.peerPath("p3", "p2")).isEqualTo("tcp-relay");
            assertThat(tunnel.peerPath("p2", "p3")).isEqualTo("tcp-relay");
            tunnel.assertEchoes("p3", "p2", "over-tcp-relay");
        } finally {
            TunnelNodes.iptables(gateway, "-D", rules);
            printTunnelLines("p3");
        }
    }

    /** What the node said about its tunnels (attempts, failures, setup times), for the test log. */
    private static void printTunnelLines(String node) {
        tunnel.nodes.get(node).output().lines().filter(l -> l.contains("tunnel to")).forEach(l -> System.out.println(node + ": " + l));
    }

    private static CompletableFuture<String> request(String from, String to, String path) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return tunnel.http(from, to, path);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static String firewall(String node) {
        return TunnelNodes.iceChecksDropped(topology.host(node), topology.host("relay"));
    }
}
