package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.kedge.agent.tunnel.TunnelNode;
import io.kedge.server.MeshServerCommand;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.JavaCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Tunnel endpoints ({@link TunnelNode} processes) in a topology, driven through their stdin: one
 * mesh-server on a public host, a node process per host, and the commands the tunnel tests send.
 */
final class TunnelNodes {
    static final String TOKEN = "tunnel-it-join-token-0123456789";
    static final String SECRET = "tunnel-it-relay-secret-0123456789";
    static final int SIGNALING_PORT = 7443;

    private static final ObjectMapper JSON = new ObjectMapper();

    final Map<String, HostProcess> nodes = new ConcurrentHashMap<>();
    final Map<String, String> addresses = new ConcurrentHashMap<>();
    private final String token;
    private String server;
    private List<String> jvmOptions = JavaCommand.TEST_JVM_OPTIONS;

    TunnelNodes() {
        this(TOKEN);
    }

    /** Nodes that register with {@code token} (the mesh-servers' join token). */
    TunnelNodes(String token) {
        this.token = token;
    }

    /** The mesh-servers nodes started from now on register with (HOST:PORT, comma separated), when not started here. */
    void useServers(String servers) {
        this.server = servers;
    }

    /** Starts mesh-server (TURN over UDP, TCP and TLS; signaling) on {@code relay} and waits until it is ready. */
    void startMeshServer(Host relay) throws IOException {
        Path config = Files.createTempFile("tunnel-it", ".yaml");
        config.toFile().deleteOnExit();
        Files.writeString(config, """
                listen: {address: %s, port: 3478, tlsPort: 5349}
                auth: {realm: tunnel, sharedSecrets: [%s]}
                signaling: {port: %d, joinToken: %s}
                admin: {listen: 127.0.0.1:9478}
                threads: 2
                """.formatted(relay.address(), SECRET, SIGNALING_PORT, TOKEN), StandardCharsets.UTF_8);
        relay.startJava("mesh-server", JavaCommand.TEST_JVM_OPTIONS, MeshServerCommand.class.getName(), List.of("-c", config.toString()))
                .awaitLine(Pattern.compile("mesh-server ready"), Duration.ofSeconds(90));
        server = relay.address() + ":" + SIGNALING_PORT;
    }

    /** The signaling address (HOST:PORT) of the mesh-server started here, or set with {@link #useServers}. */
    String server() {
        return server;
    }

    /** JVM options (system properties such as TunnelNode's) for the nodes started from now on, besides the test defaults. */
    void nodeOptions(String... options) {
        List<String> all = new java.util.ArrayList<>(JavaCommand.TEST_JVM_OPTIONS);
        all.addAll(List.of(options));
        jvmOptions = List.copyOf(all);
    }

    /** Starts the node process on {@code host} (not waiting for it); {@code label} names its log. */
    HostProcess start(Host host, String label) {
        addresses.put(host.name(), host.address());
        HostProcess p = host.startJava(label, jvmOptions, TunnelNode.class.getName(),
                List.of(host.name(), host.address(), token, server));
        nodes.put(host.name(), p);
        return p;
    }

    void awaitReady(HostProcess p) {
        p.awaitLine(Pattern.compile("TUNNEL READY"), Duration.ofSeconds(90));
    }

    /** Starts the node process on each named host of {@code topo} (log label tunnel-NAME), then waits until all are ready. */
    void startAll(io.kedge.topo.live.Topology topo, List<String> names) {
        List<HostProcess> started = names.stream().map(name -> start(topo.host(name), "tunnel-" + name)).toList();
        started.forEach(this::awaitReady);
    }

    String command(String from, String line, String answerPrefix) throws IOException {
        HostProcess p = nodes.get(from);
        long mark = p.mark();
        p.stdin().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        p.stdin().flush();
        return p.awaitLine(Pattern.compile("^" + answerPrefix + " .*"), Duration.ofSeconds(90), mark);
    }

    void awaitRegistered(String node) throws IOException, InterruptedException {
        for (int i = 0; i < 60; i++) {
            if (command(node, "registered", "REGISTERED").endsWith("true")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(node + " never registered with mesh-server");
    }

    String tcp(String from, String to, String text) throws IOException {
        return command(from, "tcp " + to + " " + addresses.get(to) + " " + TunnelNode.TCP_ECHO + " " + text, "RESULT");
    }

    String udp(String from, String to, String text) throws IOException {
        return command(from, "udp " + to + " " + addresses.get(to) + " " + TunnelNode.UDP_ECHO + " " + text, "RESULT");
    }

    String http(String from, String to, String path) throws IOException {
        return command(from, "http " + to + " " + addresses.get(to) + " " + TunnelNode.HTTP + " " + path, "RESULT");
    }

    /** Starts the node process on {@code host} and waits until it is ready. */
    HostProcess startReady(Host host) {
        HostProcess p = start(host, "tunnel-" + host.name() + "-" + System.nanoTime());
        awaitReady(p);
        return p;
    }

    /** A TCP and a UDP echo from {@code from} to {@code to} through the tunnel, each answered in full. */
    void assertEchoes(String from, String to, String tag) throws IOException {
        assertThat(tcp(from, to, tag)).isEqualTo("RESULT ok " + tag);
        assertThat(udp(from, to, tag + "-udp")).isEqualTo("RESULT ok " + tag + "-udp");
    }

    /** A field of {@code from}'s peer-table row for {@code to} (path, via, since, ...), or null when it has none. */
    String peerField(String from, String to, String field) throws IOException {
        return peerField(command(from, "peers", "PEERS").substring("PEERS ".length()), from, to, field);
    }

    /** A field of the row for {@code to} in {@code from}'s peer table ({@code json}: TunnelService.peers(), as the agent's /debug/peers serves it). */
    static String peerField(String json, String from, String to, String field) throws IOException {
        for (JsonNode peer : JSON.readTree(json).path("peers")) {
            if (to.equals(peer.path("node").asText())) {
                JsonNode v = peer.get(field);
                return v == null || v.isNull() ? null : v.asText();
            }
        }
        throw new AssertionError("the peer table of " + from + " does not list " + to + ": " + json);
    }

    /** The samples of metric {@code name} in {@code node}'s registry (Prometheus text lines joined by " | "). */
    String metric(String node, String name) throws IOException {
        return command(node, "metric " + name, "METRIC");
    }

    /** The path {@code from}'s peer table shows for its tunnel to {@code to}. */
    String peerPath(String from, String to) throws IOException {
        String path = peerField(from, to, "path");
        assertThat(path).as("peer table of %s has a path for %s", from, to).isNotNull();
        return path;
    }

    /**
     * The gateway's FORWARD rules for {@code node}'s UDP that break ICE, one per line: STUN and TURN
     * requests to the relay's port 3478 pass (so gathering finds server-reflexive and relayed
     * candidates and the site does not look UDP-blocked); TURN Send indications (type 0x0016) and
     * ChannelData (first two bits 01) to it, and UDP to anything else, are dropped. Inserted in
     * reverse so they apply in this order.
     */
    static String iceChecksDropped(Host node, Host relay) {
        String from = node.address();
        String to = relay.address();
        return String.join("\n",
                "FORWARD -s " + from + " -p udp ! -d " + to + " -j DROP",
                "FORWARD -s " + from + " -p udp -d " + to + " ! --dport 3478 -j DROP",
                "FORWARD -s " + from + " -p udp -d " + to + " --dport 3478 -m u32 --u32 0>>22&0x3C@8>>24&0xC0=0x40 -j DROP",
                "FORWARD -s " + from + " -p udp -d " + to + " --dport 3478 -m u32 --u32 0>>22&0x3C@8>>16=0x0016 -j DROP");
    }

    /** Inserts ({@code -I}) or deletes ({@code -D}) {@code rules} (one per line, without "iptables OP") on {@code gateway}. */
    static void iptables(Host gateway, String op, String rules) {
        for (String rule : rules.split("\n")) {
            List<String> argv = new java.util.ArrayList<>(List.of("iptables", op));
            argv.addAll(List.of(rule.split(" ")));
            gateway.execOk(argv.toArray(String[]::new));
        }
    }

    /** The TURN allocations mesh-server on {@code relay} holds (its admin endpoint's JSON list; "user" is the node). */
    static String allocations(Host relay) {
        String json = relay.exec("curl", "-s", "http://127.0.0.1:9478/debug/allocations").stdout();
        assertThat(json).startsWith("[");
        return json;
    }
}
