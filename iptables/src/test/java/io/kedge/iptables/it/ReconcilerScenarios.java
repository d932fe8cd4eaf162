package io.kedge.iptables.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kedge.common.exec.CommandResult;
import io.kedge.iptables.Change;
import io.kedge.iptables.ChangeKind;
import io.kedge.iptables.DesiredState;
import io.kedge.iptables.IpFamily;
import io.kedge.iptables.IptablesException;
import io.kedge.iptables.IptablesReconciler;
import io.kedge.iptables.Jump;
import io.kedge.iptables.Owner;
import io.kedge.iptables.PlacedRule;
import io.kedge.iptables.Rule;
import io.kedge.iptables.SyncReport;
import io.kedge.iptables.TestStates;
import io.kedge.iptables.backend.Backends;
import io.kedge.iptables.backend.Variant;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.Topology;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The reconciler against real iptables of one variant inside a node's network namespace, with a pod
 * behind the node. Subclasses choose the variant; each gets a topology of its own.
 */
@WithTopology("topologies/iptables-node.yaml")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ReconcilerScenarios {
    static final String MESH_ADDRESS = "169.254.96.16";
    static final int LISTENER_PORT = 40001;
    static final String KUBE_PROXY_JUMP = "kubernetes service portals";

    static final Rule V6_RULE = Rule.of("default/web:http", "-p", "tcp", "--dport", "8080", "-j", "REDIRECT", "--to-ports", "40001");

    private Host node;
    private Host app;
    private NodeIptables iptables;
    private IptablesReconciler reconciler;

    abstract Variant variant();

    @BeforeAll
    void setUpNode(Topology topology) {
        node = topology.host("node");
        app = topology.host("app");
        iptables = new NodeIptables(node, variant());
        // The mesh address lives on a bridge (as EdgeMesh does); ClusterIPs are routed like on any node
        // with a default route: out of eth0, where nothing answers them unless our DNAT catches them.
        node.execOk("ip", "link", "add", "edgemesh0", "type", "bridge");
        node.execOk("ip", "addr", "add", MESH_ADDRESS + "/32", "dev", "edgemesh0");
        node.execOk("ip", "link", "set", "edgemesh0", "up");
        node.execOk("ip", "route", "add", "198.18.0.0/15", "dev", "eth0");
        node.startJava("listener", Greeter.class.getName(), MESH_ADDRESS, String.valueOf(LISTENER_PORT))
                .awaitLine(Pattern.compile("READY"), Duration.ofSeconds(60));
    }

    @BeforeEach
    void freshRules() {
        iptables.reset();
        reconciler = reconciler(Duration.ofSeconds(30));
    }

    @AfterEach
    void closeReconciler() {
        reconciler.close();
    }

    private IptablesReconciler reconciler(Duration resyncPeriod) {
        return IptablesReconciler.builder(iptables.backends()).resyncPeriod(resyncPeriod).build();
    }

    private static DesiredState dualStack() {
        return DesiredState.builder(Owner.KEDGE)
                .rules(IpFamily.V4, "nat", "KEDGE-SERVICES", List.of(TestStates.WEB, TestStates.DNS))
                .jump(IpFamily.V4, "nat", Jump.of("PREROUTING", "KEDGE-SERVICES", "from containers"))
                .jump(IpFamily.V4, "nat", Jump.of("OUTPUT", "KEDGE-SERVICES", "from this node"))
                .rule(IpFamily.V6, "nat", "KEDGE-SERVICES", V6_RULE)
                .jump(IpFamily.V6, "nat", Jump.of("OUTPUT", "KEDGE-SERVICES", "from this node"))
                .build();
    }

    private static String comment(DesiredState desired, IpFamily family, String chain, int index) {
        var table = desired.table(family, "nat");
        PlacedRule rule = table.chains().containsKey(chain) ? table.chains().get(chain).get(index) : table.jumpsFrom(chain).get(index);
        return "\"" + rule.comment().replace("\"", "\\\"") + "\"";
    }

    /** What iptables-save prints for {@code dualStack()} in IPv4: iptables normalises our rules this way. */
    private static List<String> expectedV4(DesiredState d) {
        return List.of(
                ":KEDGE-SERVICES - [0:0]",
                "-A PREROUTING -m comment --comment " + comment(d, IpFamily.V4, "PREROUTING", 0) + " -j KEDGE-SERVICES",
                "-A OUTPUT -m comment --comment " + comment(d, IpFamily.V4, "OUTPUT", 0) + " -j KEDGE-SERVICES",
                "-A KEDGE-SERVICES -d 198.18.0.10/32 -p tcp -m comment --comment " + comment(d, IpFamily.V4, "KEDGE-SERVICES", 0)
                        + " -m tcp --dport 80 -j DNAT --to-destination 169.254.96.16:40001",
                "-A KEDGE-SERVICES -d 198.18.0.53/32 -p udp -m comment --comment " + comment(d, IpFamily.V4, "KEDGE-SERVICES", 1)
                        + " -m udp --dport 53 -j DNAT --to-destination 169.254.96.16:53");
    }

    private List<String> ours(IpFamily family) {
        return iptables.linesWith(family, "nat", "KEDGE", "kedge");
    }

    /** Connects from {@code host} to ClusterIP 198.18.0.10:80 with bash; returns what it read, or "" if it failed. */
    private static String connect(Host host, int seconds) {
        CommandResult r = host.exec(Duration.ofSeconds(seconds + 30),
                List.of("timeout", String.valueOf(seconds), "bash", "-c", "exec 3<>/dev/tcp/198.18.0.10/80 && head -n 1 <&3"), null);
        return r.ok() ? r.stdout().strip() : "";
    }

    private static List<ChangeKind> kinds(SyncReport report) {
        return report.changes().stream().map(Change::kind).toList();
    }

    private void simulateKubeProxy() {
        iptables.cli(IpFamily.V4, "-t", "nat", "-N", "KUBE-SERVICES");
        iptables.cli(IpFamily.V4, "-t", "nat", "-A", "KUBE-SERVICES", "-d", "198.18.0.1/32", "-p", "tcp", "--dport", "443",
                "-m", "comment", "--comment", "default/kubernetes:https cluster IP", "-j", "RETURN");
        for (String chain : List.of("PREROUTING", "OUTPUT")) {
            iptables.cli(IpFamily.V4, "-t", "nat", "-I", chain, "1", "-m", "comment", "--comment", KUBE_PROXY_JUMP, "-j", "KUBE-SERVICES");
        }
    }

    private void assertOursFirstThenKubeProxy() {
        for (String chain : List.of("PREROUTING", "OUTPUT")) {
            assertThat(iptables.chain(IpFamily.V4, "nat", chain)).as(chain).satisfiesExactly(
                    ours -> assertThat(ours).contains("kedge: from").endsWith("-j KEDGE-SERVICES"),
                    kube -> assertThat(kube).contains(KUBE_PROXY_JUMP).endsWith("-j KUBE-SERVICES"));
        }
        assertThat(iptables.chain(IpFamily.V4, "nat", "KUBE-SERVICES")).as("kube-proxy's own chain is untouched").hasSize(1);
    }

    @Test
    void applyInstallsExactlyTheDesiredRulesAndThenHasNothingToDo() {
        DesiredState desired = dualStack();
        SyncReport report = reconciler.update(desired);
        assertThat(report.transactions()).as("one transaction per family").isEqualTo(2);
        assertThat(ours(IpFamily.V4)).containsExactlyElementsOf(expectedV4(desired));
        assertThat(ours(IpFamily.V6)).containsExactly(
                ":KEDGE-SERVICES - [0:0]",
                "-A OUTPUT -m comment --comment " + comment(desired, IpFamily.V6, "OUTPUT", 0) + " -j KEDGE-SERVICES",
                "-A KEDGE-SERVICES -p tcp -m comment --comment " + comment(desired, IpFamily.V6, "KEDGE-SERVICES", 0)
                        + " -m tcp --dport 8080 -j REDIRECT --to-ports 40001");

        SyncReport again = reconciler.sync();
        assertThat(again.changed()).as("nothing differs: %s", again.changes()).isFalse();
        assertThat(reconciler.update(dualStack()).changed()).isFalse();
        assertThat(reconciler.stats().applies()).isEqualTo(2);
    }

    @Test
    void aRestartedProcessFindsItsRulesAndAppliesNothing() {
        IptablesReconciler previous = reconciler(Duration.ofSeconds(30));
        previous.update(dualStack());
        previous.stop();
        String installed = iptables.save(IpFamily.V4, null);

        SyncReport report = reconciler.update(dualStack());
        assertThat(report.changed()).as("ids are content hashes, the same in every run: %s", report.changes()).isFalse();
        assertThat(iptables.save(IpFamily.V4, null)).isEqualTo(installed);
    }

    @Test
    void syncRepairsRulesDeletedByHandAndSoDoesThePeriodicResync() {
        DesiredState desired = dualStack();
        reconciler.update(desired);
        iptables.cli(IpFamily.V4, "-t", "nat", "-D", "KEDGE-SERVICES", "1");
        iptables.cli(IpFamily.V4, "-t", "nat", "-D", "OUTPUT", "1");
        assertThat(ours(IpFamily.V4)).hasSize(3);

        SyncReport repair = reconciler.sync();
        assertThat(kinds(repair)).containsExactlyInAnyOrder(ChangeKind.CHAIN_CHANGED, ChangeKind.JUMP_MISSING);
        assertThat(ours(IpFamily.V4)).containsExactlyElementsOf(expectedV4(desired));
        assertThat(reconciler.stats().repairs()).isEqualTo(1);

        IptablesReconciler periodic = reconciler(Duration.ofMillis(500));
        try {
            periodic.update(desired);
            periodic.start();
            // One transaction, so that the resync sees one drift, not two.
            iptables.restore(IpFamily.V4, "*nat\n-D KEDGE-SERVICES 2\n-D PREROUTING 1\nCOMMIT\n");
            // The stats are updated just after the transaction: wait for both.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(ours(IpFamily.V4)).containsExactlyElementsOf(expectedV4(desired));
                assertThat(periodic.stats().repairs()).isEqualTo(1);
            });

            // Someone flushes the whole nat table, as `iptables -t nat -F` does.
            iptables.cli(IpFamily.V4, "-t", "nat", "-F");
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(ours(IpFamily.V4)).containsExactlyElementsOf(expectedV4(desired));
                assertThat(periodic.stats().repairs()).isEqualTo(2);
            });
        } finally {
            periodic.close();
        }
    }

    @Test
    void kubeProxyStartingLaterCannotPushOurJumpsDown() {
        reconciler.update(TestStates.services(TestStates.WEB));
        simulateKubeProxy();
        assertThat(iptables.chain(IpFamily.V4, "nat", "OUTPUT").get(0)).contains(KUBE_PROXY_JUMP);

        SyncReport repair = reconciler.sync();
        assertThat(kinds(repair)).containsExactly(ChangeKind.JUMP_NOT_FIRST, ChangeKind.JUMP_NOT_FIRST);
        assertOursFirstThenKubeProxy();
        assertThat(reconciler.sync().changed()).isFalse();
    }

    @Test
    void kubeProxyThatStartedFirstGoesSecond() {
        simulateKubeProxy();
        reconciler.update(TestStates.services(TestStates.WEB));
        assertOursFirstThenKubeProxy();
    }

    @Test
    void dnatRedirectsConnectionsFromTheNodeAndFromItsPods() {
        assertThat(connect(node, 3)).as("without our rules nothing answers the ClusterIP").isEmpty();
        reconciler.update(TestStates.services(TestStates.WEB));
        assertThat(connect(node, 20)).as("OUTPUT: from a process on the node").isEqualTo("hello " + node.address());
        assertThat(connect(app, 20)).as("PREROUTING: from a pod").isEqualTo("hello " + app.address());
    }

    @Test
    void invalidRuleFailsClearlyAndLeavesTheEarlierRulesWorking() {
        reconciler.update(TestStates.services(TestStates.WEB));
        String before = iptables.save(IpFamily.V4, "nat");
        Rule invalid = Rule.of("default/broken:http", "-d", "198.18.0.11/32", "-p", "tcp", "--dport", "80",
                "-j", "DNAT", "--to-destination", "bogus");

        assertThatThrownBy(() -> reconciler.update(TestStates.services(TestStates.WEB, invalid)))
                .isInstanceOfSatisfying(IptablesException.class, e -> {
                    assertThat(e.kind()).isEqualTo(IptablesException.Kind.REJECTED);
                    assertThat(e.line()).startsWith("-A KEDGE-SERVICES").endsWith("--to-destination bogus");
                    assertThat(e.getMessage()).startsWith(variant().tool(IpFamily.V4, "restore") + " rejected line " + e.lineNumber())
                            .contains("--to-destination bogus").contains("Bad IP address");
                });
        assertThat(iptables.save(IpFamily.V4, "nat")).as("the failed transaction changed nothing").isEqualTo(before);
        assertThat(connect(node, 20)).isEqualTo("hello " + node.address());
        assertThat(reconciler.stats().failures()).isEqualTo(1);
        assertThat(reconciler.stats().lastError()).contains("bogus");
    }

    @Test
    void closeLeavesNoChainJumpOrCommentOfOurs() {
        simulateKubeProxy();
        reconciler.update(dualStack());
        reconciler.close();
        for (IpFamily family : IpFamily.values()) {
            assertThat(iptables.save(family, null)).as(family.command()).doesNotContain("KEDGE").doesNotContain("kedge");
        }
        assertThat(iptables.chain(IpFamily.V4, "nat", "OUTPUT")).singleElement().asString().contains(KUBE_PROXY_JUMP);
        assertThat(connect(node, 3)).as("the ClusterIP is no longer redirected").isEmpty();
    }

    /** What a crashed earlier run (of an older version) left: a chain, its jump, in two tables. */
    private void plantLeftovers() {
        iptables.restore(IpFamily.V4, """
                *nat
                :KEDGE-OLD - [0:0]
                -A KEDGE-OLD -p tcp -m comment --comment "kedge: v0.1 #0123456789abcdef" -j RETURN
                -I OUTPUT 1 -m comment --comment "kedge: v0.1 jump #fedcba9876543210" -j KEDGE-OLD
                COMMIT
                *filter
                :KEDGE-FIREWALL - [0:0]
                -A KEDGE-FIREWALL -j RETURN
                -A INPUT -j KEDGE-FIREWALL
                COMMIT
                """);
        iptables.restore(IpFamily.V6, "*filter\n:KEDGE-OLD6 - [0:0]\n-A FORWARD -m comment --comment \"kedge: old\" -j KEDGE-OLD6\nCOMMIT\n");
    }

    @Test
    void firstSyncRemovesStaleChainsOfAPreviousRun() {
        plantLeftovers();
        SyncReport report = reconciler.update(TestStates.services(TestStates.WEB));
        assertThat(report.changes()).filteredOn(c -> c.kind() == ChangeKind.STALE_CHAIN)
                .extracting(c -> c.table() + " " + c.chain())
                .containsExactlyInAnyOrder("iptables nat KEDGE-OLD", "iptables filter KEDGE-FIREWALL", "ip6tables filter KEDGE-OLD6");
        assertThat(iptables.save(IpFamily.V4, null)).doesNotContain("KEDGE-OLD").doesNotContain("v0.1").doesNotContain("KEDGE-FIREWALL");
        assertThat(iptables.save(IpFamily.V6, null)).doesNotContain("KEDGE").doesNotContain("kedge");
        assertThat(iptables.chain(IpFamily.V4, "nat", "OUTPUT")).singleElement().asString().endsWith("-j KEDGE-SERVICES");
    }

    @Test
    void cleanupAllRemovesLeftoversWithoutAReconciler() {
        plantLeftovers();
        Backends backends = iptables.backends();
        SyncReport report = IptablesReconciler.cleanupAll(backends, "KEDGE-");
        assertThat(kinds(report)).contains(ChangeKind.STALE_CHAIN, ChangeKind.STALE_JUMP, ChangeKind.STALE_REFERENCE);
        for (IpFamily family : IpFamily.values()) {
            assertThat(iptables.save(family, null)).as(family.command()).doesNotContain("KEDGE").doesNotContain("kedge");
        }
        assertThat(IptablesReconciler.cleanupAll(backends, "KEDGE-").changed()).isFalse();
    }
}
