package io.kedge.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class DesiredStateTest {
    static final Rule WEB = TestStates.WEB;

    static DesiredState services(Rule... rules) {
        return TestStates.services(rules);
    }

    @Test
    void placesRulesWithAnOwnershipCommentCarryingAContentId() {
        DesiredState desired = services(WEB);
        PlacedRule rule = desired.table(IpFamily.V4, "nat").chains().get("KEDGE-SERVICES").get(0);
        assertThat(rule.id()).matches("[0-9a-f]{16}");
        assertThat(rule.comment()).isEqualTo("kedge: default/web:http #" + rule.id());
        assertThat(rule.restoreArgs()).startsWith("-m", "comment", "--comment", rule.comment()).endsWith("--to-destination", "169.254.96.16:40001");
        assertThat(Owner.KEDGE.ruleId(rule.comment())).contains(rule.id());

        PlacedRule jump = desired.table(IpFamily.V4, "nat").jumpsFrom("OUTPUT").get(0);
        assertThat(jump.args()).containsExactly("-j", "KEDGE-SERVICES");
        assertThat(jump.comment()).startsWith("kedge: from this node #");
        assertThat(desired.families()).containsExactly(IpFamily.V4);
    }

    @Test
    void idsFollowContentAndPlace() {
        String id = services(WEB).table(IpFamily.V4, "nat").chains().get("KEDGE-SERVICES").get(0).id();
        assertThat(services(WEB).table(IpFamily.V4, "nat").chains().get("KEDGE-SERVICES").get(0).id()).as("deterministic").isEqualTo(id);
        Rule otherPort = Rule.of("default/web:http", "-d", "198.18.0.10/32", "-p", "tcp", "--dport", "81",
                "-j", "DNAT", "--to-destination", "169.254.96.16:40001");
        assertThat(services(otherPort).table(IpFamily.V4, "nat").chains().get("KEDGE-SERVICES").get(0).id()).isNotEqualTo(id);
        Rule otherName = new Rule(WEB.args(), "default/web:web");
        assertThat(services(otherName).table(IpFamily.V4, "nat").chains().get("KEDGE-SERVICES").get(0).id()).isNotEqualTo(id);
        DesiredState v6 = DesiredState.builder(Owner.KEDGE).rule(IpFamily.V6, "nat", "KEDGE-SERVICES", WEB).build();
        assertThat(v6.table(IpFamily.V6, "nat").chains().get("KEDGE-SERVICES").get(0).id()).isNotEqualTo(id);
    }

    @Test
    void equalContentMeansEqualStates() {
        assertThat(services(WEB)).isEqualTo(services(WEB)).hasSameHashCodeAs(services(WEB));
        assertThat(services(WEB)).isNotEqualTo(services());
        assertThat(DesiredState.empty(Owner.KEDGE).isEmpty()).isTrue();
    }

    @Test
    void ownerDerivesItsCommentTagAndReadsOnlyItsOwnIds() {
        Owner owner = Owner.of("KEDGE-");
        assertThat(owner).isEqualTo(Owner.KEDGE);
        assertThat(owner.commentTag()).isEqualTo("kedge");
        assertThat(owner.ownsChain("KEDGE-SERVICES")).isTrue();
        assertThat(owner.ownsChain("KEDGE-")).isFalse();
        assertThat(owner.ownsChain("KUBE-SERVICES")).isFalse();
        assertThat(owner.ownsComment("kedge: anything")).isTrue();
        assertThat(owner.ownsComment("kubernetes service portals")).isFalse();
        assertThat(owner.ruleId("kedge: a #b #0123456789abcdef")).contains("0123456789abcdef");
        assertThat(owner.ruleId("kedge: no id")).isEmpty();
        assertThat(owner.ruleId("kedge: short #0123")).isEmpty();
        assertThat(owner.ruleId("other: #0123456789abcdef")).isEmpty();
        assertThat(Owner.of("MESH_").commentTag()).isEqualTo("mesh");
        assertThatThrownBy(() -> Owner.of("-")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Owner.of("BAD PREFIX")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BAD PREFIX");
    }

    @Test
    void descriptionsAreMadePrintableAndShort() {
        Rule rule = new Rule(List.of("-j", "RETURN"), "caf\u00e9\tbar" + "x".repeat(300));
        assertThat(rule.description()).startsWith("caf??bar").hasSize(Rule.MAX_DESCRIPTION);
        DesiredState desired = DesiredState.builder(Owner.KEDGE).rule(IpFamily.V4, "filter", "KEDGE-X", rule).build();
        assertThat(desired.table(IpFamily.V4, "filter").chains().get("KEDGE-X").get(0).comment().length()).isLessThan(256);
        assertThat(new Rule(List.of("-j", "RETURN"), null).description()).isEmpty();
    }

    @Test
    void rulesCannotSmuggleCommandsOrLines() {
        assertThatThrownBy(() -> Rule.of("x", "-j", "RETURN\nCOMMIT")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Rule.of("x", "-t", "filter", "-j", "ACCEPT")).hasMessageContaining("-t is not allowed");
        assertThatThrownBy(() -> Rule.of("x", "-m", "comment", "--comment", "mine", "-j", "ACCEPT")).hasMessageContaining("--comment is not allowed");
        assertThatThrownBy(() -> Rule.of("x")).hasMessageContaining("needs arguments");
        assertThat(Rule.parse("web", "-p tcp -m comment2 -j DNAT --to-destination \"169.254.96.16:1\"").args())
                .containsExactly("-p", "tcp", "-m", "comment2", "-j", "DNAT", "--to-destination", "169.254.96.16:1");
        assertThatThrownBy(() -> new Jump("OUTPUT", "KEDGE-X", List.of("-j", "ACCEPT"), "")).hasMessageContaining("own -j");
    }

    @Test
    void buildRejectsInconsistentStatesNamingTheProblem() {
        assertThatThrownBy(() -> DesiredState.builder(Owner.KEDGE).chain(IpFamily.V4, "nat", "KUBE-SERVICES"))
                .hasMessageContaining("must start with KEDGE-").hasMessageContaining("KUBE-SERVICES");
        assertThatThrownBy(() -> DesiredState.builder(Owner.KEDGE).chain(IpFamily.V4, "nat", "KEDGE-" + "X".repeat(30)))
                .hasMessageContaining("at most 28");
        assertThatThrownBy(() -> DesiredState.builder(Owner.KEDGE).chain(IpFamily.V4, "nosuch", "KEDGE-X"))
                .hasMessageContaining("unknown iptables table 'nosuch'");
        assertThatThrownBy(() -> DesiredState.builder(Owner.KEDGE).chain(IpFamily.V4, "nat", "KEDGE-X")
                .jump(IpFamily.V4, "nat", Jump.of("FORWARD", "KEDGE-X", ""))).hasMessageContaining("built-in chain").hasMessageContaining("FORWARD");
        assertThatThrownBy(() -> DesiredState.builder(Owner.KEDGE).chain(IpFamily.V4, "nat", "KEDGE-X")
                .jump(IpFamily.V4, "nat", Jump.of("OUTPUT", "KEDGE-Y", "")).build()).hasMessageContaining("targets KEDGE-Y");
        assertThatThrownBy(() -> DesiredState.builder(Owner.KEDGE).chain(IpFamily.V4, "nat", "KEDGE-X")
                .jump(IpFamily.V4, "nat", Jump.of("OUTPUT", "KEDGE-X", "a"))
                .jump(IpFamily.V4, "nat", Jump.of("OUTPUT", "KEDGE-X", "b"))).hasMessageContaining("duplicate jump");
        assertThatThrownBy(() -> DesiredState.builder(Owner.KEDGE).rule(IpFamily.V4, "nat", "KEDGE-X", Rule.of("", "-j", "KEDGE-GONE")).build())
                .hasMessageContaining("jumps to KEDGE-GONE");
    }
}
