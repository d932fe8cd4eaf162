package io.kedge.iptables.save;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SaveParserTest {
    static String resource(String name) {
        try (InputStream in = SaveParserTest.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readsKubeProxyStyleNatTable() {
        Ruleset ruleset = SaveParser.parse(resource("saves/kube-proxy-nat.txt"));
        assertThat(ruleset.tables()).containsOnlyKeys("nat");
        InstalledTable nat = ruleset.table("nat");
        assertThat(nat.chains().keySet()).containsExactly("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", "KEDGE-SERVICES",
                "KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-SEP-IB6FOHWBWFXJZTQY", "KUBE-SERVICES", "KUBE-SVC-NPX46M4PTMTKRN6Y");
        assertThat(nat.chain("PREROUTING").builtin()).isTrue();
        assertThat(nat.chain("PREROUTING").policy()).isEqualTo("ACCEPT");
        assertThat(nat.chain("KUBE-NODEPORTS").builtin()).isFalse();
        assertThat(nat.chain("KUBE-NODEPORTS").rules()).isEmpty();

        InstalledRule first = nat.chain("PREROUTING").rules().get(0);
        assertThat(first.comment()).isEqualTo("kubernetes service portals");
        assertThat(first.target()).isEqualTo("KUBE-SERVICES");
        assertThat(nat.chain("PREROUTING").rules().get(1).comment()).isEqualTo("kedge: from containers #0011223344556677");

        InstalledRule nodeports = nat.chain("KUBE-SERVICES").rules().get(1);
        assertThat(nodeports.comment()).isEqualTo("kubernetes service nodeports; NOTE: this must be the last rule in this chain");
        assertThat(nodeports.args()).containsSubsequence("-m", "addrtype", "--dst-type", "LOCAL", "-j", "KUBE-NODEPORTS");

        InstalledRule negated = nat.chain("KUBE-SVC-NPX46M4PTMTKRN6Y").rules().get(0);
        assertThat(negated.args()).startsWith("!", "-s", "100.64.128.0/17");
        assertThat(nat.chain("KUBE-SVC-NPX46M4PTMTKRN6Y").rules().get(1).comment()).isEqualTo("default/kubernetes:https -> 100.64.0.12:6443");
        assertThat(nat.chain("KUBE-POSTROUTING").rules().get(0).comment()).isNull();
    }

    @Test
    void readsCountersQuotesAndSeveralTables() {
        Ruleset ruleset = SaveParser.parse(resource("saves/legacy-counters.txt"));
        assertThat(ruleset.tables()).containsOnlyKeys("mangle", "filter");
        assertThat(ruleset.table("mangle").chain("KUBE-IPTABLES-HINT").rules()).isEmpty();
        InstalledTable filter = ruleset.table("filter");
        assertThat(filter.chain("FORWARD").policy()).isEqualTo("DROP");
        InstalledRule input = filter.chain("INPUT").rules().get(0);
        assertThat(input.packets()).isEqualTo(1843);
        assertThat(input.bytes()).isEqualTo(201117);
        assertThat(input.args()).containsExactly("-j", "KUBE-FIREWALL");
        InstalledRule quoted = filter.chain("FORWARD").rules().get(0);
        assertThat(quoted.comment()).isEqualTo("kedge: say \"hi\" to C:\\temp #00112233aabbccdd");
        assertThat(RestoreSyntax.split(quoted.spec())).as("spec() is valid restore input for the same rule").isEqualTo(quoted.args());
        assertThat(filter.chain("KUBE-FIREWALL").rules().get(0).packets()).isEqualTo(5);
    }

    @Test
    void aTableAbsentFromTheDumpReadsAsEmpty() {
        Ruleset ruleset = SaveParser.parse("");
        assertThat(ruleset.tables()).isEmpty();
        assertThat(ruleset.table("nat").chains()).isEmpty();
    }

    @Test
    void malformedOutputNamesTheLine() {
        assertThatThrownBy(() -> SaveParser.parse("*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j X\n"))
                .isInstanceOf(SaveParser.SaveFormatException.class).hasMessageContaining("table nat has no COMMIT");
        assertThatThrownBy(() -> SaveParser.parse("*nat\n:OUTPUT ACCEPT [0:0]\n-A KEDGE-X -j RETURN\nCOMMIT\n"))
                .isInstanceOf(SaveParser.SaveFormatException.class)
                .hasMessage("iptables-save output line 3: rule for chain KEDGE-X, which was not declared: -A KEDGE-X -j RETURN");
        assertThatThrownBy(() -> SaveParser.parse("-A OUTPUT -j X\n")).hasMessageContaining("line 1: content outside a table");
        assertThatThrownBy(() -> SaveParser.parse("*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m comment --comment \"open\nCOMMIT\n"))
                .hasMessageContaining("line 3: unterminated quote");
        assertThatThrownBy(() -> SaveParser.parse("*nat\nhello world\nCOMMIT\n")).hasMessageContaining("line 2: expected -A CHAIN");
        assertThatThrownBy(() -> SaveParser.parse("*nat\n:BROKEN\nCOMMIT\n")).hasMessageContaining("line 2: malformed chain line");
        assertThatThrownBy(() -> SaveParser.parse("*nat\nCOMMIT\n*nat\nCOMMIT\n")).hasMessageContaining("line 3: table nat appears twice");
        assertThatThrownBy(() -> SaveParser.parse("*nat\n[99999999999999999999:1] -A OUTPUT -j X\nCOMMIT\n"))
                .hasMessageContaining("line 2: counters out of range");
    }
}
