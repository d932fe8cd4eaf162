package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.AgentCommand;
import io.kedge.agent.testing.ApiControl;
import io.kedge.agent.testing.BackendServer;
import io.kedge.common.exec.CommandResult;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.Topology;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * mesh-agent on two nodes of one LAN, fed by fabric8's mock API server on the internet segment;
 * clients are the nodes themselves and a pod on n1, using the real dig.
 */
@WithTopology("agent-lan.yaml")
class AgentIT {
    static final String MESH = "169.254.96.16";
    static ApiControl api;
    static HostProcess agent1;
    static HostProcess agent2;

    static String services() {
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
                endpoints:
                  - addresses: [100.64.1.11]
                    nodeName: n1
                    conditions: {ready: true}
                  - addresses: [100.64.1.12]
                    nodeName: n2
                    conditions: {ready: true}
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
            topo.host(node).startJava("backend-" + node, BackendServer.class.getName(), node, topo.host(node).address(), "8080")
                    .awaitLine(Pattern.compile("READY"), Duration.ofSeconds(30));
        }
        agent1 = startAgent(topo.host("n1"));
        agent2 = startAgent(topo.host("n2"));
        topo.host("client").resolvConf("nameserver " + MESH + "\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n");
        // Answers once the first catalog is in.
        await().atMost(Duration.ofSeconds(60)).until(() -> dig(topo.host("n1"), "web.default.svc.cluster.local", "A").equals("198.18.0.10"));
    }

    static HostProcess startAgent(Host node) {
        HostProcess p = node.startJava("mesh-agent", AgentCommand.class.getName(), "--node-name", node.name(),
                "--master", api.url(), "--state-dir", java.nio.file.Path.of("target/agent-state", node.namespace()).toAbsolutePath().toString(), "--admin", "127.0.0.1:10560");
        p.awaitLine(Pattern.compile("mesh-agent ready"), Duration.ofSeconds(60));
        return p;
    }

    static String dig(Host from, String name, String type, String... options) {
        List<String> argv = new java.util.ArrayList<>(List.of("dig", "@" + MESH, "+short", "+time=2", "+tries=1", name, type));
        argv.addAll(List.of(options));
        CommandResult r = from.exec(Duration.ofSeconds(20), argv, null);
        return r.stdout().strip();
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
}
