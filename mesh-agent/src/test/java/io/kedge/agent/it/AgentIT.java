package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static io.kedge.agent.it.AgentNodes.MESH;
import static io.kedge.agent.it.AgentNodes.curl;
import static io.kedge.agent.it.AgentNodes.dig;
import static io.kedge.agent.it.AgentNodes.meshctl;
import static io.kedge.agent.it.AgentNodes.udpEcho;

import io.kedge.agent.testing.ApiControl;
import io.kedge.common.exec.CommandResult;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.Topology;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * mesh-agent on two nodes of one LAN, fed by fabric8's mock API server on the internet segment;
 * clients are the nodes themselves and a pod on n1, using the real dig.
 */
@WithTopology("agent-lan.yaml")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentIT {
    static ApiControl api;
    static HostProcess agent1;
    static HostProcess agent2;
    static final java.util.Map<String, HostProcess> backends = new java.util.concurrent.ConcurrentHashMap<>();

    /** The web Service (HTTP on 80, UDP echo on 7, optionally a second TCP port 8081) and its endpoints on both nodes. */
    static String web(boolean withAltPort) {
        String altPort = withAltPort ? "    - {name: alt, port: 8081, targetPort: 8080, protocol: TCP}\n" : "";
        String altSlicePort = withAltPort ? "  - {name: alt, port: 8080, protocol: TCP}\n" : "";
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: default}
                spec:
                  clusterIP: 198.18.0.10
                  clusterIPs: [198.18.0.10]
                  ports:
                    - {name: http, port: 80, targetPort: 8080, protocol: TCP}
                    - {name: echo, port: 7, targetPort: 8080, protocol: UDP}
                """ + altPort + """
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: web-1
                  namespace: default
                  labels: {kubernetes.io/service-name: web}
                addressType: IPv4
                ports:
                  - {name: http, port: 8080, protocol: TCP}
                  - {name: echo, port: 8080, protocol: UDP}
                """ + altSlicePort + """
                endpoints:
                  - addresses: [100.64.1.11]
                    nodeName: n1
                    conditions: {ready: true}
                  - addresses: [100.64.1.12]
                    nodeName: n2
                    conditions: {ready: true}
                """;
    }

    static String services() {
        return web(false) + """
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: db, namespace: data}
                spec:
                  clusterIP: None
                  ports:
                    - {name: pg, port: 5432, protocol: TCP}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: db-1
                  namespace: data
                  labels: {kubernetes.io/service-name: db}
                addressType: IPv4
                ports:
                  - {name: pg, port: 5432, protocol: TCP}
                endpoints:
                  - addresses: [100.64.1.12]
                    hostname: db-0
                    nodeName: n2
                    conditions: {ready: true}
                """;
    }

    @BeforeAll
    static void start(Topology topo) {
        api = ApiControl.start(topo.host("api"));
        api.apply(services());
        for (String node : List.of("n1", "n2")) {
            startBackend(topo.host(node));
        }
        agent1 = startAgent(topo.host("n1"));
        agent2 = startAgent(topo.host("n2"));
        topo.host("client").resolvConf(AgentNodes.RESOLV_CONF);
        // Answers once the first catalog is in.
        await().atMost(Duration.ofSeconds(60)).until(() -> dig(topo.host("n1"), "web.default.svc.cluster.local", "A").equals("198.18.0.10"));
    }

    static void startBackend(Host node) {
        HostProcess backend = AgentNodes.startBackend(node, node.name(), node.address());
        AgentNodes.awaitBackend(backend);
        backends.put(node.name(), backend);
    }

    /** The nat table's rules as iptables-save prints them on {@code host}. */
    static String natRules(Host host) {
        return host.execOk("iptables-save", "-t", "nat").stdout();
    }

    static HostProcess startAgent(Host node) {
        HostProcess p = AgentNodes.start(node, "--master", api.url());
        AgentNodes.awaitReady(p, Duration.ofSeconds(60));
        return p;
    }

    static String digStatus(Host from, String name, String type) {
        CommandResult r = from.exec(Duration.ofSeconds(20), List.of("dig", "@" + MESH, "+time=2", "+tries=1", name, type), null);
        var m = Pattern.compile("status: (\\w+)").matcher(r.stdout());
        return m.find() ? m.group(1) : "no answer: " + r.stdout() + r.stderr();
    }

    @Test
    void resolvesServicesFromNodesAndPods(Topology topo) {
        for (String host : List.of("n1", "n2", "client")) {
            assertThat(dig(topo.host(host), "web.default.svc.cluster.local", "A")).as("from %s", host).isEqualTo("198.18.0.10");
        }
        assertThat(dig(topo.host("n2"), "web.default.svc.cluster.local", "A", "+tcp")).isEqualTo("198.18.0.10");
        assertThat(dig(topo.host("n1"), "_http._tcp.web.default.svc.cluster.local", "SRV"))
                .isEqualTo("0 100 80 web.default.svc.cluster.local.");
        assertThat(dig(topo.host("n1"), "10.0.18.198.in-addr.arpa", "PTR")).isEqualTo("web.default.svc.cluster.local.");
        assertThat(dig(topo.host("n1"), "db.data.svc.cluster.local", "A")).isEqualTo("100.64.1.12");
        assertThat(dig(topo.host("n1"), "db-0.db.data.svc.cluster.local", "A")).isEqualTo("100.64.1.12");
        assertThat(digStatus(topo.host("n1"), "nope.default.svc.cluster.local", "A")).isEqualTo("NXDOMAIN");
        assertThat(digStatus(topo.host("n1"), "web.default.svc.cluster.local", "AAAA")).isEqualTo("NOERROR");
        // The pod's resolver uses the search path, like any container: a short name resolves.
        CommandResult getent = topo.host("client").exec("getent", "hosts", "web");
        assertThat(getent.stdout()).contains("198.18.0.10");
    }

    @Test
    void followsCatalogChangesLive(Topology topo) {
        api.apply("""
                apiVersion: v1
                kind: Service
                metadata: {name: late, namespace: default}
                spec:
                  clusterIP: 198.18.0.30
                  ports: [{name: http, port: 80, protocol: TCP}]
                """);
        await().atMost(Duration.ofSeconds(30)).until(() -> dig(topo.host("n2"), "late.default.svc.cluster.local", "A").equals("198.18.0.30"));
        api.delete("""
                apiVersion: v1
                kind: Service
                metadata: {name: late, namespace: default}
                """);
        await().atMost(Duration.ofSeconds(30)).until(() -> digStatus(topo.host("n2"), "late.default.svc.cluster.local", "A").equals("NXDOMAIN"));
    }

    @Test
    @Order(1)
    void clusterIpTrafficIsProxiedAndBalancedFromNodesAndPods(Topology topo) {
        // A pod calls by name (its resolver is the agent); nodes call the ClusterIP. Requests are
        // balanced per request over both nodes' backends.
        Set<String> served = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            String body = curl(topo.host("client"), "http://web.default.svc.cluster.local/hello");
            assertThat(body).as("request %d from the pod", i).matches("n[12] /hello xff=.*");
            served.add(body.split(" ")[0]);
            // The proxy tells the backend who called (the pod's address, not the node's).
            assertThat(body).endsWith("xff=" + topo.host("client").address());
        }
        assertThat(served).containsExactlyInAnyOrder("n1", "n2");
        for (String node : List.of("n1", "n2")) {
            Set<String> fromNode = new HashSet<>();
            for (int i = 0; i < 12; i++) {
                String body = curl(topo.host(node), "http://198.18.0.10/x");
                assertThat(body).as("from node %s", node).matches("n[12] /x xff=.*");
                fromNode.add(body.split(" ")[0]);
            }
            assertThat(fromNode).as("backends reached from %s", node).containsExactlyInAnyOrder("n1", "n2");
        }
        // The DNAT rules are there, pointing at the proxy on the mesh address.
        assertThat(natRules(topo.host("n1"))).containsPattern(
                "-A KEDGE-SERVICES -d 198.18.0.10/32 -p tcp .*--dport 80 -j DNAT --to-destination " + Pattern.quote(MESH) + ":\\d+");
    }

    @Test
    @Order(2)
    void meshctlShowsTheProxiedServicesAndStatus(Topology topo) {
        CommandResult services = meshctl(topo.host("n1"), "services");
        assertThat(services.exitCode()).as(services.stderr()).isZero();
        assertThat(services.stdout()).containsPattern("default/web\\s+http/80\\s+HTTP\\s+169\\.254\\.96\\.16:\\d+")
                .contains("100.64.1.11:8080@n1").contains("100.64.1.12:8080@n2");
        CommandResult status = meshctl(topo.host("n2"), "-o", "json", "status");
        assertThat(status.stdout()).contains("\"node\" : \"n2\"").contains("\"iptablesRules\" : 2");
        assertThat(meshctl(topo.host("n1"), "health").exitCode()).isZero();
        CommandResult nobody = meshctl(topo.host("client"), "status");
        assertThat(nobody.exitCode()).isEqualTo(3);
        assertThat(nobody.stderr()).contains("no agent answers at http://127.0.0.1:10560");
        assertThat(meshctl(topo.host("n1"), "-o", "yaml", "status").stderr()).contains("--output").contains("yaml");
    }

    @Test
    @Order(3)
    void aDestinationRuleSwitchesThePolicyLive(Topology topo) {
        String rule = """
                apiVersion: networking.istio.io/v1beta1
                kind: DestinationRule
                metadata: {name: web-sticky, namespace: default}
                spec:
                  host: web.default.svc.cluster.local
                  trafficPolicy:
                    loadBalancer:
                      consistentHash: {httpHeaderName: x-user}
                """;
        api.apply(rule);
        // Consistent hashing by header: each user sticks to one backend.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(backendsFor(topo.host("client"), "alice", 8)).hasSize(1));
        Set<String> all = new HashSet<>();
        for (String user : List.of("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")) {
            Set<String> seen = backendsFor(topo.host("client"), user, 4);
            assertThat(seen).as("user %s", user).hasSize(1);
            all.addAll(seen);
        }
        assertThat(all).as("users spread over the ring").containsExactlyInAnyOrder("n1", "n2");
        // Removing the rule brings round robin back: one user reaches both backends again.
        api.delete(rule);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(backendsFor(topo.host("client"), "alice", 8)).hasSize(2));
    }

    /** Which backends {@code count} requests carrying {@code x-user: user} reached. */
    static Set<String> backendsFor(Host from, String user, int count) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < count; i++) {
            CommandResult r = from.exec(Duration.ofSeconds(20), List.of("curl", "-sS", "--max-time", "5", "-H", "x-user: " + user,
                    "http://web.default.svc.cluster.local/sticky"), null);
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            seen.add(r.stdout().split(" ")[0]);
        }
        return seen;
    }

    @Test
    @Order(4)
    void theAgentRidesOutAnApiOutage(Topology topo) {
        Host n1 = topo.host("n1");
        String apiIp = topo.host("api").address();
        // Cut n1 off the API (its established watches included), inside n1's namespace only.
        n1.execOk("iptables", "-I", "OUTPUT", "-d", apiIp, "-j", "DROP");
        n1.execOk("iptables", "-I", "INPUT", "-s", apiIp, "-j", "DROP");
        try {
            api.apply("""
                    apiVersion: v1
                    kind: Service
                    metadata: {name: during-outage, namespace: default}
                    spec:
                      clusterIP: 198.18.0.40
                      ports: [{name: http, port: 80, protocol: TCP}]
                    """);
            // n2 sees it; n1 cannot, but keeps answering and proxying from what it has.
            await().atMost(Duration.ofSeconds(30)).until(() -> dig(topo.host("n2"), "during-outage.default.svc.cluster.local", "A").equals("198.18.0.40"));
            for (int i = 0; i < 5; i++) {
                assertThat(curl(topo.host("client"), "http://web.default.svc.cluster.local/offline")).matches("n[12] /offline xff=.*");
            }
            assertThat(dig(n1, "web.default.svc.cluster.local", "A")).isEqualTo("198.18.0.10");
            assertThat(digStatus(n1, "during-outage.default.svc.cluster.local", "A")).isEqualTo("NXDOMAIN");
        } finally {
            n1.execOk("iptables", "-D", "OUTPUT", "-d", apiIp, "-j", "DROP");
            n1.execOk("iptables", "-D", "INPUT", "-s", apiIp, "-j", "DROP");
        }
        // Back online: what changed meanwhile arrives without a restart.
        await().atMost(Duration.ofSeconds(90)).until(() -> dig(n1, "during-outage.default.svc.cluster.local", "A").equals("198.18.0.40"));
        api.delete("""
                apiVersion: v1
                kind: Service
                metadata: {name: during-outage, namespace: default}
                """);
    }

    @Test
    @Order(5)
    void udpServicesEchoThroughTheProxy(Topology topo) {
        for (String host : List.of("client", "n2")) {
            String answer = udpEcho(topo.host(host), "198.18.0.10", 7, "ping-" + host);
            assertThat(answer).as("UDP echo from %s", host).matches("n[12]:ping-" + host);
        }
    }

    @Test
    @Order(6)
    void aDeadBackendIsRoutedAroundAndANewPortFollowsTheCatalog(Topology topo) {
        backends.remove("n2").kill();
        try {
            for (int i = 0; i < 10; i++) {
                assertThat(curl(topo.host("client"), "http://web.default.svc.cluster.local/after")).as("request %d", i)
                        .startsWith("n1 /after");
            }
        } finally {
            startBackend(topo.host("n2"));
        }
        // A port added to the Service gets a listener and a rule on every node without a restart.
        api.apply(web(true));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(curl(topo.host("n2"), "http://198.18.0.10:8081/alt")).matches("n[12] /alt xff=.*"));
    }

    @Test
    @Order(7)
    void aStoppedAgentLeavesNoRulesAndARestartedOneServesAgain(Topology topo) {
        Host n2 = topo.host("n2");
        agent2.stop();
        assertThat(agent2.isAlive()).isFalse();
        assertThat(natRules(n2)).doesNotContain("KEDGE");
        assertThat(curl(n2, "http://198.18.0.10/gone")).startsWith("curl failed");
        agent2 = startAgent(n2);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(curl(n2, "http://198.18.0.10/back")).matches("n[12] /back xff=.*"));
        assertThat(natRules(n2).lines().filter(l -> l.startsWith("-A KEDGE-SERVICES")).count()).isEqualTo(3);
    }
}
