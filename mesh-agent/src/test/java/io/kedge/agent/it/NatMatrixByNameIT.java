package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.it.NatMatrixIT.Pair;
import io.kedge.agent.it.NatMatrixIT.Site;
import io.kedge.agent.testing.ApiControl;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.Topology;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The NAT matrix of {@link NatMatrixIT} with full mesh-agents, reached the way applications reach
 * them: by service name. Every node of the topology runs mesh-agent (mesh bridge, DNS, proxy,
 * iptables, tunnel registered with mesh-server by join token) and a pod with a backend (HTTP and
 * UDP echo on the pod's address); each node's backend is the one endpoint of a Service of its
 * own ({@code nat-<node>}, ClusterIP in 198.18.0.0/15, an {@code http} port and a UDP port). The
 * relay host runs mesh-server and the Kubernetes API (fabric8's mock server in CRUD mode, as a
 * process listening in the relay's namespace) that every agent watches across its NAT.
 *
 * <p>For every ordered pair of site types (the node pairs of {@link NatMatrixIT#orderedPairs()}: each
 * pair a tunnel of its own, offered by the calling node) the calling node, whose resolver is its
 * agent, curls the other node's Service by name and sends it a UDP datagram by name (either may be
 * the first traffic, and so open the tunnel); both answers come from the other node's backend. Then the other node's pod calls the caller's Service by its
 * short name, through the same tunnel. Both agents' peer tables show the path
 * {@link NatMatrixIT#expectedPath} says the NATs allow.
 */
@WithTopology("nat-matrix-by-name.yaml")
class NatMatrixByNameIT {
    /** A first call waits for its tunnel, which a setup may take several attempts to open (ICE twice, then the TCP relay). */
    static final Duration FIRST_CALL = Duration.ofSeconds(75);
    static final int HTTP_PORT = 80;
    static final int ECHO_PORT = 7;

    static final TunnelNodes relay = new TunnelNodes();
    static Topology topo;

    /** Every site node: the first and second node of each site type. */
    static List<String> nodes() {
        List<String> nodes = new ArrayList<>();
        for (Site site : Site.values()) {
            nodes.add(site.prefix + 1);
            nodes.add(site.prefix + 2);
        }
        return nodes;
    }

    /** The pod on {@code node} that runs its backend. */
    static String pod(String node) {
        return "web-" + node;
    }

    static String serviceName(String node) {
        return "nat-" + node + ".default.svc.cluster.local";
    }

    static String clusterIp(String node) {
        return "198.18.0." + (11 + nodes().indexOf(node));
    }

    @BeforeAll
    static void start(Topology t) throws Exception {
        topo = t;
        Host relayHost = t.host("relay");
        // JVM start-up is most of the time here: start what depends on nothing at once.
        Map<String, HostProcess> backends = new LinkedHashMap<>();
        for (String node : nodes()) {
            Host pod = t.host(pod(node));
            backends.put(node, AgentNodes.startBackend(pod, node, pod.address()));
        }
        ApiControl api;
        ExecutorService starting = Executors.newFixedThreadPool(2);
        try {
            Future<ApiControl> apiStarted = starting.submit(() -> ApiControl.start(relayHost));
            Future<?> meshServerStarted = starting.submit(() -> {
                relay.startMeshServer(relayHost);
                return null;
            });
            api = apiStarted.get();
            meshServerStarted.get();
        } finally {
            starting.shutdownNow();
        }
        api.apply(catalog());
        String config = agentConfig().toString();
        Map<String, HostProcess> agents = new LinkedHashMap<>();
        for (String node : nodes()) {
            agents.put(node, AgentNodes.start(t.host(node), "--master", api.url(), "-c", config));
        }
        agents.values().forEach(agent -> AgentNodes.awaitReady(agent, Duration.ofSeconds(120)));
        agents.values().forEach(agent -> agent.awaitLine(Pattern.compile("registered with mesh-server"), Duration.ofSeconds(90)));
        backends.values().forEach(AgentNodes::awaitBackend);
        for (String node : nodes()) {
            Host host = t.host(node);
            host.resolvConf(AgentNodes.RESOLV_CONF);
            t.host(pod(node)).resolvConf(AgentNodes.RESOLV_CONF);
            // The whole catalog is in before the first call by name.
            String last = nodes().get(nodes().size() - 1);
            await().atMost(Duration.ofSeconds(60)).until(() -> AgentNodes.dig(host, serviceName(last), "A").equals(clusterIp(last)));
        }
    }

    /** One agent configuration for every node: the tunnel through the relay's mesh-server. */
    static Path agentConfig() throws IOException {
        Path config = Files.createTempFile("nat-by-name-agent", ".yaml");
        config.toFile().deleteOnExit();
        Files.writeString(config, """
                modules:
                  edgeProxy: {connectTimeoutMillis: %d}
                  edgeTunnel:
                    meshServers: ["%s"]
                    joinToken: %s
                """.formatted(FIRST_CALL.minusSeconds(10).toMillis(), relay.server(), TunnelNodes.TOKEN), StandardCharsets.UTF_8);
        return config;
    }

    /** Per node: its Node object, its Service and the EndpointSlice naming its backend on the node's address. */
    static String catalog() {
        List<String> perNode = new ArrayList<>();
        for (String node : nodes()) {
            perNode.add("""
                    apiVersion: v1
                    kind: Node
                    metadata: {name: %1$s}
                    status:
                      addresses: [{type: InternalIP, address: %6$s}]
                    ---
                    apiVersion: v1
                    kind: Service
                    metadata: {name: nat-%1$s, namespace: default}
                    spec:
                      clusterIP: %3$s
                      clusterIPs: [%3$s]
                      ports:
                        - {name: http, port: %4$d, targetPort: 8080, protocol: TCP}
                        - {name: echo, port: %5$d, targetPort: 8080, protocol: UDP}
                    ---
                    apiVersion: discovery.k8s.io/v1
                    kind: EndpointSlice
                    metadata:
                      name: nat-%1$s-1
                      namespace: default
                      labels: {kubernetes.io/service-name: nat-%1$s}
                    addressType: IPv4
                    ports:
                      - {name: http, port: 8080, protocol: TCP}
                      - {name: echo, port: 8080, protocol: UDP}
                    endpoints:
                      - addresses: [%2$s]
                        nodeName: %1$s
                        conditions: {ready: true}
                    """.formatted(node, topo.host(pod(node)).address(), clusterIp(node), HTTP_PORT, ECHO_PORT, topo.host(node).address()));
        }
        return String.join("---\n", perNode);
    }

    /**
     * Every other pair opens its tunnel with the UDP datagram (which waits in the proxy's UDP session
     * while the tunnel sets up), the others with the HTTP request.
     */
    @TestFactory
    Stream<DynamicTest> everyOrderedPairOfSiteTypesByName() {
        List<Pair> pairs = NatMatrixIT.orderedPairs();
        return IntStream.range(0, pairs.size()).mapToObj(i -> {
            boolean udpFirst = i % 2 == 0;
            return DynamicTest.dynamicTest(pairs.get(i).label() + (udpFirst ? ", UDP first" : ", HTTP first"),
                    () -> pair(pairs.get(i), udpFirst));
        });
    }

    static void pair(Pair p, boolean udpFirst) throws IOException {
        Host from = topo.host(p.from());
        Host to = topo.host(p.to());
        String name = serviceName(p.to());
        System.out.printf("pair %s: %s calls %s%n", p.label(), p.from(), name);
        String datagram = "datagram-" + p.from() + "-" + p.to();
        if (udpFirst) {
            assertThat(AgentNodes.udpEcho(from, name, ECHO_PORT, datagram, FIRST_CALL)).isEqualTo(p.to() + ":" + datagram);
        }
        // The proxy on the calling node speaks HTTP on the "http" port: it names the caller in X-Forwarded-For.
        assertThat(AgentNodes.curl(from, FIRST_CALL, "http://" + name + "/by-name/" + p.from()))
                .isEqualTo(p.to() + " /by-name/" + p.from() + " xff=" + from.address());
        if (!udpFirst) {
            assertThat(AgentNodes.udpEcho(from, name, ECHO_PORT, datagram, Duration.ofSeconds(10))).isEqualTo(p.to() + ":" + datagram);
        }
        // The other way, a pod on the answering node calls back by its short name: the same tunnel carries it.
        Host callerPod = topo.host(pod(p.to()));
        assertThat(AgentNodes.curl(callerPod, FIRST_CALL, "http://nat-" + p.from() + "/back/" + p.to()))
                .isEqualTo(p.from() + " /back/" + p.to() + " xff=" + callerPod.address());
        assertThat(path(from, p.to())).as("path %s reports to %s", p.from(), p.to()).isEqualTo(p.expected());
        assertThat(path(to, p.from())).as("path %s reports to %s", p.to(), p.from()).isEqualTo(p.expected());
    }

    /** The path in the peer table of {@code host}'s agent (its /debug/peers, what meshctl peers shows) for its tunnel to {@code peer}. */
    static String path(Host host, String peer) throws IOException {
        String path = TunnelNodes.peerField(AgentNodes.admin(host, "/debug/peers"), host.name(), peer, "path");
        assertThat(path).as("peer table of %s has a path for %s", host.name(), peer).isNotNull();
        return path;
    }
}
