package io.kedge.iptables.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.common.config.ConfigException;
import io.kedge.common.exec.CommandRunner;
import io.kedge.iptables.IpFamily;
import io.kedge.iptables.IptablesException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackendDetectorTest {
    static final String EMPTY_NAT = "*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
    static final String KUBE_RULES = "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -j KUBE-SERVICES\n"
            + "-A KUBE-SERVICES -j RETURN\nCOMMIT\n";
    static final String HINT = "*mangle\n:PREROUTING ACCEPT [0:0]\n:KUBE-IPTABLES-HINT - [0:0]\nCOMMIT\n";

    @Test
    void kubeletsHintWins() {
        assertThat(BackendDetector.choose(IpFamily.V4, HINT, KUBE_RULES, "iptables v1.8.9 (legacy)").variant()).isEqualTo(Variant.NFT);
        assertThat(BackendDetector.choose(IpFamily.V4, KUBE_RULES, HINT, "iptables v1.8.9 (nf_tables)").variant()).isEqualTo(Variant.LEGACY);
    }

    @Test
    void elseTheVariantHoldingRules() {
        BackendDetector.Detection legacy = BackendDetector.choose(IpFamily.V4, EMPTY_NAT, KUBE_RULES, "iptables v1.8.9 (nf_tables)");
        assertThat(legacy.variant()).isEqualTo(Variant.LEGACY);
        assertThat(legacy.reason()).isEqualTo("it holds the rules: nf_tables 0, legacy 2");
        assertThat(BackendDetector.choose(IpFamily.V4, "[3:180] -A X -j Y\n" + KUBE_RULES, KUBE_RULES, null).variant())
                .as("counted with or without counters").isEqualTo(Variant.NFT);
        assertThat(BackendDetector.choose(IpFamily.V6, KUBE_RULES, null, null).variant()).as("an unreadable variant holds nothing").isEqualTo(Variant.NFT);
    }

    @Test
    void elseWhatIptablesVersionSays() {
        assertThat(BackendDetector.choose(IpFamily.V4, EMPTY_NAT, "", "iptables v1.8.9 (legacy)\n").variant()).isEqualTo(Variant.LEGACY);
        BackendDetector.Detection nft = BackendDetector.choose(IpFamily.V6, "", "", "ip6tables v1.8.9 (nf_tables)\n");
        assertThat(nft.variant()).isEqualTo(Variant.NFT);
        assertThat(nft.reason()).isEqualTo("ip6tables --version says nf_tables");
        assertThat(BackendDetector.choose(IpFamily.V4, null, null, null).variant()).isEqualTo(Variant.NFT);
    }

    private static BackendDetector detector(Set<String> installed) {
        // The probes never run here: at most one variant is "installed" in these cases.
        return new BackendDetector(new CommandRunner(), List.of(), name -> installed.contains(name)
                ? Optional.of(Path.of("/usr/sbin", name)) : Optional.empty());
    }

    @Test
    void missingToolsAreNamedWithTheCure() {
        assertThatThrownBy(() -> detector(Set.of()).detect(BackendMode.AUTO)).isInstanceOfSatisfying(IptablesException.class, e -> {
            assertThat(e.kind()).isEqualTo(IptablesException.Kind.NOT_INSTALLED);
            assertThat(e.getMessage()).isEqualTo("iptables-restore is not installed or not on PATH: install the iptables package");
        });
        assertThatThrownBy(() -> detector(Set.of("iptables-nft-save", "iptables-nft-restore")).backend(IpFamily.V4, BackendMode.LEGACY))
                .hasMessage("iptables-legacy-restore is not installed or not on PATH: install the iptables package");
        assertThatThrownBy(() -> detector(Set.of("iptables-nft-save")).backend(IpFamily.V4, BackendMode.AUTO))
                .as("save without restore is not enough").hasMessageStartingWith("iptables-restore is not installed");
    }

    @Test
    void theOnlyInstalledVariantIsUsedAndIpv6IsOptional() {
        Backends backends = detector(Set.of("iptables-legacy-save", "iptables-legacy-restore")).detect(BackendMode.AUTO);
        assertThat(backends.get(IpFamily.V6)).isEmpty();
        CommandBackend v4 = (CommandBackend) backends.require(IpFamily.V4);
        assertThat(v4.variant()).isEqualTo(Variant.LEGACY);
        assertThat(v4.description()).isEqualTo("iptables-legacy");
        assertThatThrownBy(() -> backends.require(IpFamily.V6)).hasMessageStartingWith("ip6tables-restore is not installed");

        Backends forced = detector(Set.of("iptables-nft-save", "iptables-nft-restore", "ip6tables-nft-save", "ip6tables-nft-restore"))
                .detect(BackendMode.NFT);
        assertThat(forced.all()).extracting(IptablesBackend::description).containsExactly("iptables-nft", "ip6tables-nft");
    }

    @Test
    void modeParsingNamesTheKey() {
        assertThat(BackendMode.parse("iptables.backend", "auto")).isEqualTo(BackendMode.AUTO);
        assertThat(BackendMode.parse("iptables.backend", " NFT ")).isEqualTo(BackendMode.NFT);
        assertThat(BackendMode.parse("iptables.backend", "legacy").forced()).isEqualTo(Variant.LEGACY);
        assertThatThrownBy(() -> BackendMode.parse("modules.edgeProxy.iptables.backend", "ipvs"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("modules.edgeProxy.iptables.backend: must be auto, nft or legacy (got \"ipvs\")");
        assertThatThrownBy(() -> BackendMode.parse("backend", null)).isInstanceOf(ConfigException.class);
    }

    @Test
    void binariesAreFoundOnPathAndInSbin() {
        assertThat(Binaries.searchPath("/opt/bin::/usr/bin")).startsWith(Path.of("/opt/bin"), Path.of("/usr/bin"))
                .contains(Path.of("/usr/sbin"), Path.of("/sbin"));
        assertThat(Binaries.find("sh", List.of(Path.of("/nonexistent"), Path.of("/bin")))).contains(Path.of("/bin/sh"));
        assertThat(Binaries.find("no-such-tool-kedge", Binaries.searchPath("/bin"))).isEmpty();
    }
}
