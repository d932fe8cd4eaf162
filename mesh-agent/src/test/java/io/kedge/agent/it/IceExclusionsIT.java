package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.tunnel.IceCandidatesProbe;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.JavaCommand;
import io.kedge.topo.live.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Interfaces excluded from ICE: n1 has its pods on a bridge (pods0, 198.19.x.1) beside its uplink
 * eth0, the way a CNI bridge sits on a real node; the pod bridge's address is not offered to peers.
 */
@WithTopology("agent-lan.yaml")
class IceExclusionsIT {
    static Host n1;
    static String podBridge;

    @BeforeAll
    static void start(Topology topo) {
        n1 = topo.host("n1");
        String addr = n1.execOk("ip", "-4", "-o", "addr", "show", "dev", "pods0").stdout();
        var m = Pattern.compile("inet (\\d+\\.\\d+\\.\\d+\\.\\d+)/").matcher(addr);
        assertThat(m.find()).as("pods0 address in %s", addr).isTrue();
        podBridge = m.group(1);
    }

    static String[] probe(String mode, String... patterns) {
        List<String> args = new ArrayList<>(List.of(mode));
        args.addAll(List.of(patterns));
        HostProcess p = n1.startJava("ice-probe-" + mode, JavaCommand.TEST_JVM_OPTIONS, IceCandidatesProbe.class.getName(), args);
        try {
            String harvested = p.awaitLine(Pattern.compile("HARVESTED .*"), Duration.ofSeconds(60));
            String signaled = p.awaitLine(Pattern.compile("SIGNALED .*"), Duration.ofSeconds(30));
            assertThat(p.waitFor(Duration.ofSeconds(30))).isZero();
            System.out.println("ice probe " + args + " (pods0 " + podBridge + "): " + harvested + " / " + signaled);
            return new String[] {harvested, signaled};
        } finally {
            p.stop();
        }
    }

    @Test
    void withoutExclusionsThePodBridgeIsOffered() {
        String[] out = probe("at-start");
        assertThat(out[0]).contains(podBridge).contains(n1.address());
        assertThat(out[1]).contains(" " + podBridge + " ").contains(" " + n1.address() + " ");
    }

    @Test
    void anInterfaceExcludedAtStartIsNeverHarvested() {
        String[] out = probe("at-start", "pods*", "cni*");
        assertThat(out[0]).doesNotContain(podBridge).contains(n1.address());
        assertThat(out[1]).doesNotContain(podBridge).contains(" " + n1.address() + " ");
    }

    @Test
    void anInterfaceMatchedOnlyLaterIsHarvestedButNotOffered() {
        String[] out = probe("later", "pods0");
        assertThat(out[0]).contains(podBridge).contains(n1.address());
        assertThat(out[1]).doesNotContain(podBridge).contains(" " + n1.address() + " ");
    }
}
