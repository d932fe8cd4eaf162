package io.kedge.edge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.AgentCommand;
import io.kedge.cloud.CloudcoreCommand;
import io.kedge.common.exec.CommandResult;
import io.kedge.edge.EdgecoreCommand;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The cloud-edge channel across real NATs: cloudcore-lite (standalone) on the internet, three edge
 * nodes join with a token and run edgecore-lite; e1 also runs mesh-agent against its metaServer.
 * Clients are the real kubectl (in the cloud and on every edge, against the metaServer) and dig.
 */
@WithTopology("topologies/cloud-edges.yaml")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CloudEdgeIT {
    static final List<String> EDGES = List.of("e1", "e2", "e3");
    static final String META = "http://127.0.0.1:10550";
    static final String MESH = "169.254.96.16";
    static Path work;
    static String cloudAddress;
    static HostProcess cloudcore;
    static final Map<String, HostProcess> edgecores = new HashMap<>();
    static HostProcess agent;

    @BeforeAll
    static void start(Topology topo) throws Exception {
        work = Path.of("target/it-cloudedge", topo.runId()).toAbsolutePath();
        Host cloud = topo.host("cloud");
        cloudAddress = cloud.address();
        cloudcore = startCloudcore(topo);
        HostProcess gettoken = cloud.startJava("gettoken", CloudcoreCommand.class.getName(), "gettoken", "--data-dir",
                work.resolve("cloud").toString());
        String token = gettoken.awaitLine(Pattern.compile("^[0-9a-f]{64}\\..+"), Duration.ofSeconds(60)).strip();
        assertThat(gettoken.waitFor(Duration.ofSeconds(30))).isZero();
        for (String e : EDGES) {
            Host h = topo.host(e);
            HostProcess join = h.startJava("join-" + e, EdgecoreCommand.class.getName(), "join", "--cloudcore", cloudAddress + ":10000",
                    "--token", token, "--node-name", e, "--data-dir", work.resolve(e).toString(), "-c", config(e));
            assertThat(join.waitFor(Duration.ofSeconds(90))).as("join of %s: %s", e, join.output()).isZero();
            edgecores.put(e, startEdgecore(topo, e));
        }
        agent = topo.host("e1").startJava("mesh-agent", AgentCommand.class.getName(), "--node-name", "e1", "--meta-server", META,
                "--state-dir", work.resolve("agent-e1").toString(), "--admin", "127.0.0.1:10560");
    }

    @AfterAll
    static void stopAll() {
        // The topology stops every process it started; nothing else to clean.
    }

    static String config(String edge) {
        return work.resolve(edge + ".yaml").toString();
    }

    static HostProcess startCloudcore(Topology topo) {
        HostProcess p = topo.host("cloud").startJava("cloudcore", CloudcoreCommand.class.getName(), "--data-dir",
                work.resolve("cloud").toString(), "--advertise-address", topo.host("cloud").address(), "--admin", "127.0.0.1:10561");
        p.awaitLine(Pattern.compile("cloudcore-lite ready"), Duration.ofSeconds(90));
        return p;
    }

    static HostProcess startEdgecore(Topology topo, String edge) {
        HostProcess p = topo.host(edge).startJava("edgecore-" + edge, EdgecoreCommand.class.getName(), "-c", config(edge));
        p.awaitLine(Pattern.compile("edgecore-lite ready"), Duration.ofSeconds(90));
        return p;
    }

    static CommandResult kubectl(Host h, String server, String stdin, String... args) {
        List<String> argv = new ArrayList<>(List.of("kubectl", "--server", server, "--request-timeout=10s"));
        argv.addAll(List.of(args));
        return h.exec(Duration.ofSeconds(30), argv, stdin);
    }

    static CommandResult cloudKubectl(Topology topo, String stdin, String... args) {
        CommandResult r = kubectl(topo.host("cloud"), "http://127.0.0.1:6443", stdin, args);
        assertThat(r.exitCode()).as("kubectl %s: %s", String.join(" ", args), r.stderr()).isZero();
        return r;
    }

    /** "name=port ..." of the Services in default, as a client of {@code server} on {@code h} sees them. */
    static String services(Host h, String server) {
        CommandResult r = kubectl(h, server, null, "get", "services", "-n", "default", "-o",
                "jsonpath={range .items[*]}{.metadata.name}={.spec.ports[0].port} {end}");
        return r.exitCode() == 0 ? r.stdout().strip() : "error: " + r.stderr();
    }

    static String service(String name, int port) {
        return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: default}\n"
                + "spec: {selector: {app: " + name + "}, ports: [{port: " + port + ", protocol: TCP}]}\n---\n";
    }

    static String dig(Host from, String name) {
        CommandResult r = from.exec(Duration.ofSeconds(20), List.of("dig", "@" + MESH, "+short", "+time=2", "+tries=1", name, "A"), null);
        return r.exitCode() == 0 ? r.stdout().strip() : "";
    }

    static void cloudLink(Topology topo, String edge, boolean up) {
        String site = "gw-s" + edge.substring(1);
        String op = up ? "-D" : "-I";
        for (String dir : List.of("-d", "-s")) {
            CommandResult r = topo.host(site).exec(Duration.ofSeconds(10), List.of("iptables", op, "FORWARD", dir, cloudAddress, "-j", "DROP"), null);
            assertThat(r.exitCode()).as("iptables on %s: %s", site, r.stderr()).isZero();
        }
    }

    static void awaitConverged(Topology topo, Duration bound) {
        await().atMost(bound).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            String cloud = services(topo.host("cloud"), "http://127.0.0.1:6443");
            for (String e : EDGES) {
                assertThat(sorted(services(topo.host(e), META))).as("services on %s", e).isEqualTo(sorted(cloud));
            }
        });
    }

    static List<String> sorted(String names) {
        List<String> l = new ArrayList<>(List.of(names.split(" ")));
        l.sort(null);
        return l;
    }

    @Test
    @Order(1)
    void joinedEdgesReceiveServiceChangesAndTheAgentLearnsThemThroughTheMetaServer(Topology topo) {
        cloudKubectl(topo, service("web", 80), "apply", "-f", "-");
        for (String e : EDGES) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(services(topo.host(e), META)).contains("web=80"));
        }
        cloudKubectl(topo, null, "patch", "service", "web", "-n", "default", "--type=json",
                "-p", "[{\"op\":\"replace\",\"path\":\"/spec/ports/0/port\",\"value\":8080}]");
        for (String e : EDGES) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(services(topo.host(e), META)).contains("web=8080"));
        }
        String clusterIp = cloudKubectl(topo, null, "get", "service", "web", "-n", "default", "-o", "jsonpath={.spec.clusterIP}").stdout().strip();
        assertThat(clusterIp).startsWith("198.18.");
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(dig(topo.host("e1"), "web.default.svc.cluster.local"))
                .isEqualTo(clusterIp));
        // every edge registered as a Ready node in the cloud
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(cloudKubectl(topo, null, "get", "nodes", "-o",
                "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}").stdout())
                .contains("e1=True", "e2=True", "e3=True"));
    }

    @Test
    @Order(2)
    void afterA60sOutageEveryEdgeConvergesAndAnEdgeRestartedOfflineKeepsServing(Topology topo) throws Exception {
        String clusterIp = cloudKubectl(topo, null, "get", "service", "web", "-n", "default", "-o", "jsonpath={.spec.clusterIP}").stdout().strip();
        EDGES.forEach(e -> cloudLink(topo, e, false));
        long cutAt = System.nanoTime();
        try {
            cloudKubectl(topo, service("during-1", 81) + service("during-2", 82), "apply", "-f", "-");
            cloudKubectl(topo, null, "patch", "service", "during-1", "-n", "default", "--type=json",
                    "-p", "[{\"op\":\"replace\",\"path\":\"/spec/ports/0/port\",\"value\":91}]");
            cloudKubectl(topo, null, "delete", "service", "during-2", "-n", "default");
            // restart e1's edgecore while offline: it serves its store, and the agent keeps answering
            edgecores.get("e1").stop();
            edgecores.put("e1", startEdgecore(topo, "e1"));
            assertThat(services(topo.host("e1"), META)).contains("web=8080").doesNotContain("during-1");
            assertThat(dig(topo.host("e1"), "web.default.svc.cluster.local")).isEqualTo(clusterIp);
            // the cloud notices the silence: the nodes go NotReady after the grace period
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(cloudKubectl(topo, null, "get", "nodes", "-o",
                    "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}").stdout())
                    .contains("e1=False", "e2=False", "e3=False"));
            cloudKubectl(topo, service("during-3", 83), "apply", "-f", "-");
            long left = Duration.ofSeconds(60).toNanos() - (System.nanoTime() - cutAt);
            if (left > 0) {
                Thread.sleep(left / 1_000_000);
            }
            for (String e : EDGES) {
                assertThat(services(topo.host(e), META)).as("still serving on %s while offline", e).contains("web=8080");
            }
        } finally {
            EDGES.forEach(e -> cloudLink(topo, e, true));
        }
        awaitConverged(topo, Duration.ofSeconds(150));
        String e2 = services(topo.host("e2"), META);
        assertThat(e2).contains("during-1=91", "during-3=83").doesNotContain("during-2");
    }

    @Test
    @Order(3)
    void aCloudcoreRestartMidStreamLosesNothing(Topology topo) {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            many.append(service("burst-" + i, 1000 + i));
        }
        cloudKubectl(topo, many.toString(), "apply", "-f", "-");
        cloudKubectl(topo, null, "delete", "service", "during-1", "-n", "default");
        cloudcore.stop();
        cloudcore = startCloudcore(topo);
        cloudKubectl(topo, service("after-restart", 2000), "apply", "-f", "-");
        awaitConverged(topo, Duration.ofSeconds(150));
        assertThat(services(topo.host("e3"), META)).contains("burst-29=1029", "after-restart=2000").doesNotContain("during-1=");
    }
}
