package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.tunnel.TunnelNode;
import io.kedge.server.MeshServerCommand;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.JavaCommand;
import io.kedge.topo.live.Topology;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tunnel across the NAT types the topologies build, with a mesh-server on the internet
 * segment: p1 and p2 share a port-restricted LAN, r1 is routed without NAT, s1 sits behind a
 * symmetric NAT. Each node runs the tunnel (TunnelNode) with a TCP and a UDP echo on its address.
 */
@WithTopology("topologies/nat-types.yaml")
class TunnelIT {
    static final String TOKEN = "tunnel-it-join-token-0123456789";
    static final String SECRET = "tunnel-it-relay-secret-0123456789";
    static final Map<String, HostProcess> nodes = new HashMap<>();
    static final Map<String, String> addresses = new HashMap<>();

    @BeforeAll
    static void start(Topology topo) throws IOException {
        Host relay = topo.host("relay");
        Path config = Files.createTempFile("tunnel-it", ".yaml");
        config.toFile().deleteOnExit();
        Files.writeString(config, """
                listen: {address: %s, port: 3478, tlsPort: 5349}
                auth: {realm: tunnel, sharedSecrets: [%s]}
                signaling: {port: 7443, joinToken: %s}
                admin: {listen: 127.0.0.1:9478}
                threads: 2
                """.formatted(relay.address(), SECRET, TOKEN), StandardCharsets.UTF_8);
        relay.startJava("mesh-server", JavaCommand.TEST_JVM_OPTIONS, MeshServerCommand.class.getName(), List.of("-c", config.toString()))
                .awaitLine(Pattern.compile("mesh-server ready"), Duration.ofSeconds(90));
        String server = relay.address() + ":7443";
        for (String name : List.of("p1", "p2", "r1", "s1")) {
            Host h = topo.host(name);
            addresses.put(name, h.address());
            nodes.put(name, h.startJava("tunnel-" + name, JavaCommand.TEST_JVM_OPTIONS, TunnelNode.class.getName(),
                    List.of(name, h.address(), TOKEN, server)));
        }
        for (HostProcess p : nodes.values()) {
            p.awaitLine(Pattern.compile("TUNNEL READY"), Duration.ofSeconds(90));
        }
    }

    static String command(String from, String line, String answerPrefix) throws IOException {
        HostProcess p = nodes.get(from);
        long mark = p.mark();
        p.stdin().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        p.stdin().flush();
        return p.awaitLine(Pattern.compile("^" + answerPrefix + " .*"), Duration.ofSeconds(60), mark);
    }

    static void awaitRegistered(String node) throws IOException, InterruptedException {
        for (int i = 0; i < 60; i++) {
            if (command(node, "registered", "REGISTERED").endsWith("true")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(node + " never registered with mesh-server");
    }

    static String tcp(String from, String to, String text) throws IOException {
        return command(from, "tcp " + to + " " + addresses.get(to) + " 7000 " + text, "RESULT");
    }

    static String udp(String from, String to, String text) throws IOException {
        return command(from, "udp " + to + " " + addresses.get(to) + " 7001 " + text, "RESULT");
    }

    static String peerPath(String from, String to) throws IOException {
        String json = command(from, "peers", "PEERS");
        int at = json.indexOf("\"node\":\"" + to + "\"");
        assertThat(at).as("peer table of %s lists %s: %s", from, to, json).isGreaterThanOrEqualTo(0);
        int pathAt = json.indexOf("\"path\":\"", at);
        return json.substring(pathAt + 8, json.indexOf('"', pathAt + 8));
    }

    @Test
    void nodesOnOneLanConnectOverHostCandidates() throws Exception {
        awaitRegistered("p1");
        awaitRegistered("p2");
        assertThat(tcp("p1", "p2", "hello-lan")).isEqualTo("RESULT ok hello-lan");
        assertThat(udp("p1", "p2", "datagram-lan")).isEqualTo("RESULT ok datagram-lan");
        assertThat(peerPath("p1", "p2")).isEqualTo("direct-lan");
        // The same tunnel carries streams the other way.
        assertThat(tcp("p2", "p1", "back")).isEqualTo("RESULT ok back");
    }

    @Test
    void theReceivingAgentDialsOnlyItsOwnEndpoints() throws Exception {
        awaitRegistered("p1");
        awaitRegistered("p2");
        // Ask p2 to dial p1's address: not p2's own, so p2 refuses with a reason.
        String r = command("p1", "tcp p2 " + addresses.get("p1") + " 7000 nope", "RESULT");
        assertThat(r).startsWith("RESULT fail").contains("refused").contains("is not on node p2");
    }

    /**
     * r1 is routed without NAT; p1 sits behind a port-restricted NAT. ICE connects them directly:
     * p1's packets to r1's host candidate open p1's NAT for r1's answers (r1 sees p1 as a
     * peer-reflexive candidate). No relay is involved.
     */
    @Test
    void aRoutedNodeAndANatedNodeConnectDirectly() throws Exception {
        awaitRegistered("r1");
        awaitRegistered("p1");
        assertThat(tcp("p1", "r1", "hello-routed")).isEqualTo("RESULT ok hello-routed");
        assertThat(udp("p1", "r1", "datagram-routed")).isEqualTo("RESULT ok datagram-routed");
        assertThat(peerPath("p1", "r1")).isEqualTo("direct-punched");
        assertThat(peerPath("r1", "p1")).isEqualTo("direct-punched");
    }

    /** s1's symmetric NAT maps every destination to a new port: no hole lines up, so the tunnel goes through the relay. */
    @Test
    void aSymmetricNatIsCrossedThroughTheRelay() throws Exception {
        awaitRegistered("s1");
        awaitRegistered("p2");
        assertThat(tcp("p2", "s1", "hello-relayed")).isEqualTo("RESULT ok hello-relayed");
        assertThat(udp("p2", "s1", "datagram-relayed")).isEqualTo("RESULT ok datagram-relayed");
        assertThat(peerPath("p2", "s1")).isEqualTo("relayed");
        assertThat(tcp("s1", "p2", "back-relayed")).isEqualTo("RESULT ok back-relayed");
    }

    /**
     * p2's agent restarts (a new process: new ICE credentials, new certificate). p1's tunnel to the
     * old process dies with its QUIC idle timeout; the next streams set up a new tunnel on their own.
     */
    @Test
    void trafficRecoversAfterThePeerRestarts(Topology topo) throws Exception {
        awaitRegistered("p1");
        awaitRegistered("p2");
        assertThat(tcp("p1", "p2", "before-restart")).isEqualTo("RESULT ok before-restart");
        nodes.get("p2").kill();
        Host h = topo.host("p2");
        String server = topo.host("relay").address() + ":7443";
        HostProcess restarted = h.startJava("tunnel-p2-restarted", JavaCommand.TEST_JVM_OPTIONS, TunnelNode.class.getName(),
                List.of("p2", h.address(), TOKEN, server));
        restarted.awaitLine(Pattern.compile("TUNNEL READY"), Duration.ofSeconds(90));
        nodes.put("p2", restarted);
        awaitRegistered("p2");
        String last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            last = tcp("p1", "p2", "after-restart");
            if (last.equals("RESULT ok after-restart")) {
                break;
            }
            Thread.sleep(1000);
        }
        assertThat(last).isEqualTo("RESULT ok after-restart");
        assertThat(udp("p1", "p2", "udp-after-restart")).isEqualTo("RESULT ok udp-after-restart");
    }
}
