package io.kedge.iptables.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.iptables.Change;
import io.kedge.iptables.ChangeKind;
import io.kedge.iptables.DesiredState;
import io.kedge.iptables.Golden;
import io.kedge.iptables.IpFamily;
import io.kedge.iptables.Jump;
import io.kedge.iptables.Owner;
import io.kedge.iptables.Rule;
import io.kedge.iptables.TestStates;
import io.kedge.iptables.backend.RecordingBackend;
import io.kedge.iptables.save.SaveParser;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PlannerTest {
    static final Rule WEB = TestStates.WEB;
    static final Rule DNS = TestStates.DNS;
    static final Rule OLD = TestStates.OLD;

    static final String KUBE_PROXY = """
            *nat
            :KUBE-SERVICES - [0:0]
            -A KUBE-SERVICES -d 198.18.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -j RETURN
            -I PREROUTING 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
            -I OUTPUT 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
            COMMIT
            """;

    private RecordingBackend kernel;

    @BeforeEach
    void setUp() {
        kernel = RecordingBackend.simulated(IpFamily.V4);
    }

    static DesiredState desired(Rule... rules) {
        return TestStates.services(rules);
    }

    private RestorePlan plan(DesiredState desired) {
        return Planner.plan(IpFamily.V4, Owner.KEDGE, desired.tables(IpFamily.V4), SaveParser.parse(kernel.save(null)));
    }

    /** Plans and applies to the simulated kernel. */
    private RestorePlan apply(DesiredState desired) {
        RestorePlan plan = plan(desired);
        if (!plan.isEmpty()) {
            kernel.restore(plan.input());
        }
        return plan;
    }

    private static List<ChangeKind> kinds(RestorePlan plan) {
        return plan.changes().stream().map(Change::kind).toList();
    }

    private List<String> natRules(String chain) {
        return SaveParser.parse(kernel.save("nat")).table("nat").chain(chain).rules().stream().map(r -> String.join(" ", r.args())).toList();
    }

    /** The rules of a chain as restore input (quoted). */
    private List<String> natSpecs(String chain) {
        return SaveParser.parse(kernel.save("nat")).table("nat").chain(chain).rules().stream().map(r -> r.spec()).toList();
    }

    private static String render(RestorePlan plan) {
        StringBuilder sb = new StringBuilder();
        plan.changes().forEach(c -> sb.append("# ").append(c).append('\n'));
        return sb.append(plan.input()).toString();
    }

    @Test
    void freshInstallGolden() {
        DesiredState desired = DesiredState.builder(Owner.KEDGE)
                .rules(IpFamily.V4, "nat", "KEDGE-SERVICES", List.of(WEB, DNS))
                .chain(IpFamily.V4, "nat", "KEDGE-EMPTY")
                .jump(IpFamily.V4, "nat", Jump.of("PREROUTING", "KEDGE-SERVICES", "from containers"))
                .jump(IpFamily.V4, "nat", Jump.of("OUTPUT", "KEDGE-SERVICES", "from this node"))
                .jump(IpFamily.V4, "nat", new Jump("OUTPUT", "KEDGE-EMPTY", List.of("-m", "addrtype", "--dst-type", "LOCAL"), "local"))
                .rule(IpFamily.V6, "nat", "KEDGE-SERVICES", Rule.of("default/web:http", "-d", "2001:db8::10/128", "-p", "tcp",
                        "--dport", "80", "-j", "DNAT", "--to-destination", "[2001:db8::16]:40001"))
                .jump(IpFamily.V6, "nat", Jump.of("OUTPUT", "KEDGE-SERVICES", "from this node"))
                .build();
        RestorePlan v4 = plan(desired);
        RestorePlan v6 = Planner.plan(IpFamily.V6, Owner.KEDGE, desired.tables(IpFamily.V6), SaveParser.parse(""));
        Golden.assertMatches("fresh-install.rules", "## iptables\n" + render(v4) + "## ip6tables\n" + render(v6));
        assertThat(kinds(v4)).containsOnly(ChangeKind.CHAIN_MISSING, ChangeKind.JUMP_MISSING);
    }

    @Test
    void repairGolden() {
        // An older version ran: its chains, a stale chain with a jump of ours and a foreign reference to it.
        apply(DesiredState.builder(Owner.KEDGE)
                .rules(IpFamily.V4, "nat", "KEDGE-SERVICES", List.of(WEB, OLD))
                .rule(IpFamily.V4, "nat", "KEDGE-LEGACY", Rule.of("", "-j", "RETURN"))
                .jump(IpFamily.V4, "nat", Jump.of("PREROUTING", "KEDGE-SERVICES", "from containers"))
                .jump(IpFamily.V4, "nat", Jump.of("OUTPUT", "KEDGE-SERVICES", "from this node"))
                .jump(IpFamily.V4, "nat", Jump.of("POSTROUTING", "KEDGE-LEGACY", "old"))
                .build());
        kernel.simulate("*nat\n-A INPUT -j KEDGE-LEGACY\nCOMMIT\n");
        // kube-proxy started later and put its jumps first; someone duplicated one of ours.
        kernel.simulate(KUBE_PROXY);
        kernel.simulate("*nat\n-A OUTPUT " + natSpecs("OUTPUT").get(1) + "\nCOMMIT\n");
        assertThat(natRules("OUTPUT")).hasSize(3);

        RestorePlan plan = apply(desired(WEB, DNS));
        Golden.assertMatches("repair.rules", render(plan));
        assertThat(kinds(plan)).containsExactlyInAnyOrder(ChangeKind.STALE_CHAIN, ChangeKind.CHAIN_CHANGED, ChangeKind.STALE_REFERENCE,
                ChangeKind.JUMP_NOT_FIRST, ChangeKind.DUPLICATE_JUMP, ChangeKind.STALE_JUMP);
        assertThat(plan(desired(WEB, DNS)).isEmpty()).as("one transaction repaired everything").isTrue();
        assertThat(natRules("PREROUTING").get(1)).endsWith("-j KUBE-SERVICES");

        RestorePlan cleanup = apply(DesiredState.empty(Owner.KEDGE));
        Golden.assertMatches("cleanup.rules", render(cleanup));
        assertThat(kernel.save("nat")).doesNotContain("KEDGE").doesNotContain("kedge:").contains("KUBE-SERVICES");
    }

    @Test
    void nothingToDoWhenInstalledMatches() {
        apply(desired(WEB, DNS));
        kernel.simulate(KUBE_PROXY.replace("-I PREROUTING 1", "-A PREROUTING").replace("-I OUTPUT 1", "-A OUTPUT"));
        RestorePlan again = plan(desired(WEB, DNS));
        assertThat(again.isEmpty()).as("kube-proxy's jumps after ours are fine: %s", again.changes()).isTrue();
        assertThat(again.input()).isEmpty();
    }

    @Test
    void missingRuleRewritesOnlyThatChain() {
        apply(desired(WEB, DNS));
        kernel.simulate("*nat\n-D KEDGE-SERVICES 2\nCOMMIT\n");
        RestorePlan plan = apply(desired(WEB, DNS));
        assertThat(plan.changes()).singleElement().satisfies(c -> {
            assertThat(c.kind()).isEqualTo(ChangeKind.CHAIN_CHANGED);
            assertThat(c.chain()).isEqualTo("KEDGE-SERVICES");
            assertThat(c.detail()).isEqualTo("have 1 rules, want 2: 1 missing, 0 unexpected");
        });
        assertThat(plan.input()).contains(":KEDGE-SERVICES - [0:0]").doesNotContain("PREROUTING").doesNotContain("OUTPUT");
        assertThat(natRules("KEDGE-SERVICES")).hasSize(2);
    }

    @Test
    void changedDesiredRuleAndReorderedRulesAreRewritten() {
        apply(desired(WEB, DNS));
        assertThat(plan(desired(DNS, WEB)).changes()).extracting(Change::detail).containsExactly("rules out of order");
        assertThat(plan(desired(WEB, OLD)).changes()).extracting(Change::detail).containsExactly("have 2 rules, want 2: 1 missing, 1 unexpected");
        kernel.simulate("*nat\n-A KEDGE-SERVICES -j RETURN\nCOMMIT\n");
        assertThat(plan(desired(WEB, DNS)).changes()).extracting(Change::detail)
                .as("a rule without our comment in our chain").containsExactly("have 3 rules, want 2: 0 missing, 1 unexpected");
    }

    @Test
    void flushedTableIsRebuilt() {
        apply(desired(WEB, DNS));
        kernel.simulate("*nat\n-F\nCOMMIT\n");
        RestorePlan plan = apply(desired(WEB, DNS));
        assertThat(kinds(plan)).containsExactlyInAnyOrder(ChangeKind.CHAIN_CHANGED, ChangeKind.JUMP_MISSING, ChangeKind.JUMP_MISSING);
        assertThat(plan(desired(WEB, DNS)).isEmpty()).isTrue();
    }

    @Test
    void jumpBehindAnotherToolsRuleIsMovedBackToTheTop() {
        apply(desired(WEB));
        kernel.simulate(KUBE_PROXY);
        RestorePlan plan = apply(desired(WEB));
        assertThat(plan.changes()).extracting(Change::kind).containsExactly(ChangeKind.JUMP_NOT_FIRST, ChangeKind.JUMP_NOT_FIRST);
        assertThat(plan.changes().get(0).detail()).contains("rule 1 is not ours").contains("KUBE-SERVICES");
        assertThat(plan.input()).doesNotContain(":KEDGE-SERVICES").as("the chain itself is fine");
        assertThat(natRules("PREROUTING")).hasSize(2);
        assertThat(natRules("PREROUTING").get(0)).endsWith("-j KEDGE-SERVICES");
        assertThat(natRules("OUTPUT").get(0)).endsWith("-j KEDGE-SERVICES");
    }

    @Test
    void ourJumpsComeFirstWhenKubeProxyWasThereBefore() {
        kernel.simulate(KUBE_PROXY);
        RestorePlan plan = apply(desired(WEB));
        assertThat(kinds(plan)).contains(ChangeKind.CHAIN_MISSING, ChangeKind.JUMP_MISSING);
        assertThat(natRules("OUTPUT")).hasSize(2);
        assertThat(natRules("OUTPUT").get(0)).endsWith("-j KEDGE-SERVICES");
        assertThat(natRules("OUTPUT").get(1)).endsWith("-j KUBE-SERVICES");
    }

    @Test
    void severalJumpsKeepTheirOrder() {
        DesiredState two = DesiredState.builder(Owner.KEDGE)
                .rule(IpFamily.V4, "nat", "KEDGE-A", WEB).rule(IpFamily.V4, "nat", "KEDGE-B", DNS)
                .jump(IpFamily.V4, "nat", Jump.of("OUTPUT", "KEDGE-A", "a"))
                .jump(IpFamily.V4, "nat", Jump.of("OUTPUT", "KEDGE-B", "b"))
                .build();
        apply(two);
        assertThat(natRules("OUTPUT")).satisfiesExactly(a -> assertThat(a).endsWith("-j KEDGE-A"), b -> assertThat(b).endsWith("-j KEDGE-B"));
        kernel.simulate("*nat\n-D OUTPUT 1\n-A OUTPUT " + natSpecs("OUTPUT").get(0) + "\nCOMMIT\n");
        assertThat(natRules("OUTPUT").get(0)).endsWith("-j KEDGE-B");
        assertThat(kinds(apply(two))).containsExactly(ChangeKind.JUMP_NOT_FIRST);
        assertThat(natRules("OUTPUT")).satisfiesExactly(a -> assertThat(a).endsWith("-j KEDGE-A"), b -> assertThat(b).endsWith("-j KEDGE-B"));
    }

    @Test
    void staleChainsOfAnotherRunAreRemovedWithWhatPointsAtThem() {
        kernel.simulate("""
                *nat
                :KEDGE-OLD - [0:0]
                :KEDGE-OLDER - [0:0]
                -A KEDGE-OLD -j KEDGE-OLDER
                -A KEDGE-OLDER -m comment --comment "kedge: gone #0123456789abcdef" -j RETURN
                -A OUTPUT -m comment --comment "kedge: old jump #fedcba9876543210" -j KEDGE-OLD
                -A PREROUTING -j KEDGE-OLDER
                COMMIT
                *filter
                :KEDGE-FILTER - [0:0]
                -A INPUT -m comment --comment "kedge: filter jump #fedcba9876543210" -j KEDGE-FILTER
                COMMIT
                """);
        RestorePlan plan = apply(desired(WEB));
        assertThat(plan.changes()).filteredOn(c -> c.kind() == ChangeKind.STALE_CHAIN).extracting(Change::chain)
                .containsExactlyInAnyOrder("KEDGE-OLD", "KEDGE-OLDER", "KEDGE-FILTER");
        assertThat(kinds(plan)).contains(ChangeKind.STALE_JUMP, ChangeKind.STALE_REFERENCE);
        String all = kernel.save(null);
        assertThat(all).doesNotContain("KEDGE-OLD").doesNotContain("KEDGE-FILTER").doesNotContain("old jump");
        assertThat(plan(desired(WEB)).isEmpty()).isTrue();
    }

    @Test
    void tablesIptablesDoesNotKnowAreLeftAlone() {
        RestorePlan plan = Planner.plan(IpFamily.V4, Owner.KEDGE, Map.of(),
                SaveParser.parse("*broute\n:KEDGE-X - [0:0]\nCOMMIT\n"));
        assertThat(plan.isEmpty()).isTrue();
    }
}
