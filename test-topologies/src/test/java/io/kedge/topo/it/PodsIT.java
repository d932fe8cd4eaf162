package io.kedge.topo.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Topology;
import io.kedge.topo.live.Namespaces;
import java.nio.file.Files;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Pods behind a host reach the host, the LAN and the internet; per-host resolv.conf works and goes away. */
@WithTopology("pods.yaml")
class PodsIT {
    @Test
    void podTrafficIsRoutedAndMasqueradedByItsHost(Topology topo) {
        for (String h : new String[] {"relay", "n1", "n2"}) {
            topo.host(h).startJava("whoami", WhoAmIServer.class.getName(), String.valueOf(NatTopologyIT.PORT))
                    .awaitLine(Pattern.compile("READY"), Duration.ofSeconds(30));
        }
        assertThat(NatTopologyIT.whoAmI(topo.host("c1"), topo.host("n1").address()))
                .as("the host sees the pod's own address").isEqualTo(topo.host("c1").address());
        assertThat(NatTopologyIT.whoAmI(topo.host("c1"), topo.host("n2").address()))
                .as("a LAN neighbour sees the pod's host").isEqualTo(topo.host("n1").address());
        assertThat(NatTopologyIT.whoAmI(topo.host("c1"), topo.host("relay").address()))
                .as("the internet sees the site's gateway").isEqualTo(topo.host("gw-p").address());
    }

    @Test
    void resolvConfIsPerHostAndRemovedWithTheNamespace(Topology topo) throws Exception {
        topo.host("c1").resolvConf("nameserver 169.254.96.16\nsearch default.svc.cluster.local\n");
        assertThat(topo.host("c1").execOk("cat", "/etc/resolv.conf").stdout()).contains("nameserver 169.254.96.16");
        assertThat(topo.host("n2").execOk("cat", "/etc/resolv.conf").stdout()).doesNotContain("169.254.96.16");
        assertThat(Files.exists(Namespaces.etcDir(topo.host("c1").namespace()))).isTrue();
    }
}
