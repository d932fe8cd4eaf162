package io.kedge.topo.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.common.exec.CommandRunner;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.JavaCommand;
import io.kedge.topo.live.Namespaces;
import io.kedge.topo.live.RunRegistry;
import io.kedge.topo.live.Topology;
import io.kedge.topo.plan.Plan;
import io.kedge.topo.spec.TopologySpec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** After teardown, and after a crashed run, nothing of ours remains on the machine. */
class TeardownIT {
    private final CommandRunner runner = new CommandRunner();
    private final Namespaces namespaces = new Namespaces(runner);

    private List<String> ours(String runId) {
        return namespaces.list().stream().filter(ns -> ns.startsWith(Plan.namespacePrefix(runId))).toList();
    }

    private String rootLinks() {
        return runner.check(List.of("ip", "-o", "link", "show")).stdout().replaceAll("\\s+state \\w+", "");
    }

    @Test
    void closeRemovesNamespacesProcessesLinksAndTheRunRecord() {
        String linksBefore = rootLinks();
        Topology t = Topology.up(TopologySpec.parse("name: tidy\ninternet: {hosts: [relay]}\nsites: [{name: s, nat: udp-blocked, hosts: [h1, h2]}]"));
        String runId = t.runId();
        assertThat(ours(runId)).hasSize(6); // switch, relay, probe, gateway, two hosts
        HostProcess sleeper = t.host("h1").start("sleeper", List.of("sleep", "600"));
        // A stray process that the topology did not start must not keep a namespace alive either.
        t.host("h2").sh("setsid sleep 600 >/dev/null 2>&1 < /dev/null &");
        t.host("h1").resolvConf("nameserver 198.18.0.53\n");
        assertThat(Files.exists(RunRegistry.defaultDir().resolve(runId + ".json"))).isTrue();

        t.close();

        assertThat(ours(runId)).isEmpty();
        assertThat(Files.exists(Namespaces.etcDir(Plan.namespacePrefix(runId) + "h-h1"))).as("/etc/netns files removed").isFalse();
        assertThat(sleeper.isAlive()).isFalse();
        assertThat(Files.exists(RunRegistry.defaultDir().resolve(runId + ".json"))).isFalse();
        assertThat(rootLinks()).as("no veth or bridge appeared in the root namespace").isEqualTo(linksBefore);
        t.close(); // idempotent
    }

    @Test
    void leftoversOfACrashedOwnerAreRemovedAtTheNextStart() throws Exception {
        Process owner = new ProcessBuilder(JavaCommand.javaBinary(), "-cp", System.getProperty("java.class.path"),
                HoldTopology.class.getName()).redirectErrorStream(true).start();
        String runId;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream()))) {
            String line;
            do {
                line = out.readLine();
            } while (line != null && !line.startsWith("RUN "));
            assertThat(line).as("helper printed its run id").isNotNull();
            runId = line.substring(4).strip();
        }
        assertThat(ours(runId)).isNotEmpty();
        owner.destroyForcibly(); // SIGKILL: no shutdown hook runs, the namespaces stay behind
        owner.waitFor();
        assertThat(ours(runId)).as("a killed owner leaves its namespaces").isNotEmpty();

        // An unrecorded namespace with our prefix (a crash before anything was recorded) also goes.
        runner.check(List.of("ip", "netns", "add", "kt-zz0000-h-orphan"));

        List<String> removed = new RunRegistry(RunRegistry.defaultDir(), namespaces).cleanStale();

        assertThat(removed).contains(runId, "zz0000");
        assertThat(ours(runId)).isEmpty();
        assertThat(ours("zz0000")).isEmpty();
    }

    @Test
    void liveRunsOfOtherOwnersAreLeftAlone() {
        try (Topology mine = Topology.up(TopologySpec.parse("name: mine\ninternet: {probe: false, hosts: [x]}"))) {
            new RunRegistry(RunRegistry.defaultDir(), namespaces).cleanStale();
            assertThat(ours(mine.runId())).hasSize(2);
            await().atMost(Duration.ofSeconds(5)).until(mine::intact);
        }
    }
}
