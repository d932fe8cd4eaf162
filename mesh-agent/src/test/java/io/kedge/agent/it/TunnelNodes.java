package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kedge.agent.tunnel.TunnelNode;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.JavaCommand;
import io.kedge.topo.live.Topology;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@link TunnelNode} processes in a topology, driven through their stdin: start one per host,
 * wait until it is registered, send TCP/UDP echoes through the tunnel, read its peer table.
 */
final class TunnelNodes {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Topology topo;
    private final String token;
    private final Map<String, HostProcess> nodes = new HashMap<>();

    TunnelNodes(Topology topo, String token) {
        this.topo = topo;
        this.token = token;
    }

    /** Starts the tunnel node of host {@code name}, registered with {@code servers} (HOST:PORT, comma separated). */
    HostProcess start(String name, String servers) {
        Host h = topo.host(name);
        HostProcess p = h.startJava("tunnel-" + name + "-" + System.nanoTime(), JavaCommand.TEST_JVM_OPTIONS, TunnelNode.class.getName(),
                List.of(name, h.address(), token, servers));
        p.awaitLine(Pattern.compile("TUNNEL READY.*"), Duration.ofSeconds(90));
        nodes.put(name, p);
        return p;
    }

    String command(String from, String line, String answerPrefix) throws IOException {
        HostProcess p = nodes.get(from);
        long mark = p.mark();
        p.stdin().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        p.stdin().flush();
        return p.awaitLine(Pattern.compile("^" + answerPrefix + " .*"), Duration.ofSeconds(60), mark);
    }

    void awaitRegistered(String node) throws IOException, InterruptedException {
        for (int i = 0; i < 60; i++) {
            if (command(node, "registered", "REGISTERED").endsWith("true")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(node + " never registered with a mesh-server");
    }

    String tcp(String from, String to, String text) throws IOException {
        return command(from, "tcp " + to + " " + topo.host(to).address() + " 7000 " + text, "RESULT");
    }

    String udp(String from, String to, String text) throws IOException {
        return command(from, "udp " + to + " " + topo.host(to).address() + " 7001 " + text, "RESULT");
    }

    /** A field of {@code from}'s peer-table entry for {@code to} (path, via, ...), or null when absent. */
    String peerField(String from, String to, String field) throws IOException {
        String json = command(from, "peers", "PEERS").substring("PEERS ".length());
        for (JsonNode peer : JSON.readTree(json).path("peers")) {
            if (to.equals(peer.path("node").asText())) {
                JsonNode v = peer.get(field);
                return v == null || v.isNull() ? null : v.asText();
            }
        }
        throw new AssertionError("the peer table of " + from + " does not list " + to + ": " + json);
    }

    void assertEchoes(String from, String to, String tag) throws IOException {
        assertThat(tcp(from, to, tag)).isEqualTo("RESULT ok " + tag);
        assertThat(udp(from, to, tag + "-udp")).isEqualTo("RESULT ok " + tag + "-udp");
    }
}
