package io.kedge.iptables.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.common.exec.CommandRunner;
import io.kedge.iptables.IpFamily;
import io.kedge.iptables.IptablesException;
import io.kedge.iptables.IptablesReconciler;
import io.kedge.iptables.TestStates;
import io.kedge.iptables.backend.BackendMode;
import io.kedge.iptables.backend.Backends;
import io.kedge.iptables.backend.CommandBackend;
import io.kedge.iptables.backend.Variant;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.Topology;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Backend detection and the errors of the real tools, inside a namespace with no rules of its own. */
@WithTopology("topologies/iptables-bare.yaml")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackendIT {
    /** Runs the tools as user nobody: no root, no CAP_NET_ADMIN. */
    static final List<String> AS_NOBODY = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");

    private final CommandRunner runner = new CommandRunner();
    private Host host;
    private NodeIptables nft;
    private NodeIptables legacy;

    @BeforeAll
    void setUp(Topology topology) {
        host = topology.host("bare");
        nft = new NodeIptables(host, Variant.NFT);
        legacy = new NodeIptables(host, Variant.LEGACY);
    }

    @BeforeEach
    void noRules() {
        nft.reset();
        legacy.reset();
    }

    private Variant detected(IpFamily family) {
        return ((CommandBackend) Backends.system(runner, host.inside(List.of()), BackendMode.AUTO).require(family)).variant();
    }

    @Test
    void withoutRulesAnywhereFollowsWhatIptablesVersionSays() {
        for (IpFamily family : IpFamily.values()) {
            String version = host.execOk(family.command(), "--version").stdout();
            Variant expected = version.contains("(legacy)") ? Variant.LEGACY : Variant.NFT;
            assertThat(detected(family)).as("%s with %s", family, version.strip()).isEqualTo(expected);
        }
    }

    @Test
    void prefersTheVariantHoldingRulesAndAboveAllKubeletsHint() {
        legacy.cli(IpFamily.V4, "-t", "nat", "-N", "KUBE-SERVICES");
        legacy.cli(IpFamily.V4, "-t", "nat", "-A", "OUTPUT", "-j", "KUBE-SERVICES");
        assertThat(detected(IpFamily.V4)).isEqualTo(Variant.LEGACY);

        nft.cli(IpFamily.V4, "-t", "mangle", "-N", "KUBE-IPTABLES-HINT");
        assertThat(detected(IpFamily.V4)).as("kubelet marks the variant it uses").isEqualTo(Variant.NFT);

        legacy.cli(IpFamily.V6, "-t", "filter", "-A", "INPUT", "-j", "ACCEPT");
        assertThat(detected(IpFamily.V6)).as("each family is detected on its own").isEqualTo(Variant.LEGACY);
    }

    @Test
    void withoutRootTheErrorSaysWhatIsNeeded() {
        List<String> prefix = host.inside(AS_NOBODY);
        for (BackendMode mode : BackendMode.values()) {
            IptablesReconciler reconciler = IptablesReconciler.builder(Backends.system(runner, prefix, mode)).build();
            assertThatThrownBy(() -> reconciler.update(TestStates.services(TestStates.WEB)))
                    .as("mode %s", mode)
                    .isInstanceOfSatisfying(IptablesException.class, e -> {
                        assertThat(e.kind()).isEqualTo(IptablesException.Kind.PERMISSION);
                        assertThat(e.getMessage()).matches("ip6?tables-(nft|legacy)-(save|restore) needs root / CAP_NET_ADMIN: .*Permission denied.*");
                    });
            assertThat(reconciler.stats().lastError()).contains("needs root / CAP_NET_ADMIN");
        }
        assertThat(nft.save(IpFamily.V4, null) + legacy.save(IpFamily.V4, null)).doesNotContain("KEDGE");
    }

    @Test
    void missingToolsSayHowToGetThem() {
        Path missing = Path.of("/nonexistent/iptables-nft-save");
        for (List<String> prefix : List.of(List.<String>of(), host.inside(List.of()))) {
            CommandBackend backend = new CommandBackend(runner, prefix, IpFamily.V4, Variant.NFT, missing, Path.of("/nonexistent/iptables-nft-restore"));
            assertThatThrownBy(() -> backend.save("nat")).as("prefix %s", prefix)
                    .isInstanceOfSatisfying(IptablesException.class, e -> assertThat(e.kind()).isEqualTo(IptablesException.Kind.NOT_INSTALLED))
                    .hasMessage("iptables-nft-save is not installed or not on PATH: install the iptables package");
        }
    }
}
