package io.kedge.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.agent.config.AgentConfig;
import io.kedge.common.config.ConfigException;
import io.kedge.common.config.YamlConfig;
import io.kedge.common.net.NetTransport;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Event loops pinned by {@code cpuAffinity: spread}, as the kernel reports them (/proc). */
class CpuAffinityTest {
    @Test
    void spreadPinsEachEventLoopToItsOwnCpuInTurn() throws Exception {
        List<Integer> allowed = cpusAllowed(Path.of("/proc/self/status"));
        int loops = allowed.size() + 1; // one more than there are CPUs: the last wraps around
        try (NettyTransport transport = NettyTransport.create(loops, "pin-test", NetTransport.Type.NIO, CpuAffinity.SPREAD)) {
            List<List<Integer>> seen = loopCpus(transport);
            assertThat(seen).hasSize(loops);
            if (allowed.size() == 1) {
                // Nothing to spread over: left as they were.
                assertThat(seen).allSatisfy(cpus -> assertThat(cpus).isEqualTo(allowed));
                return;
            }
            List<Integer> pinned = new ArrayList<>();
            for (List<Integer> cpus : seen) {
                assertThat(cpus).hasSize(1);
                pinned.add(cpus.get(0));
            }
            List<Integer> expected = new ArrayList<>(allowed);
            expected.add(allowed.get(0));
            assertThat(pinned).containsExactlyInAnyOrderElementsOf(expected);
        }
        // Only the loops were pinned: the calling thread keeps every CPU.
        assertThat(cpusAllowed(Path.of("/proc/thread-self/status"))).isEqualTo(allowed);
    }

    @Test
    void noneLeavesTheEventLoopsOnEveryCpu() throws Exception {
        List<Integer> allowed = cpusAllowed(Path.of("/proc/self/status"));
        try (NettyTransport transport = NettyTransport.create(2, "free-test", NetTransport.Type.NIO, CpuAffinity.NONE)) {
            assertThat(loopCpus(transport)).hasSize(2).allSatisfy(cpus -> assertThat(cpus).isEqualTo(allowed));
        }
    }

    @Test
    void theAgentFileChoosesLoopsAndPlacement() {
        AgentConfig agent = YamlConfig.parse("""
                modules:
                  edgeProxy:
                    ioThreads: 3
                    cpuAffinity: spread
                """, AgentConfig.class);
        ProxyConfig c = ProxyConfig.from(agent);
        assertThat(c.eventLoops()).isEqualTo(3);
        assertThat(c.cpuAffinity()).isEqualTo(CpuAffinity.SPREAD);

        ProxyConfig defaults = ProxyConfig.from(AgentConfig.defaults());
        assertThat(defaults.cpuAffinity()).isEqualTo(CpuAffinity.NONE);
        assertThat(defaults.eventLoops()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> YamlConfig.parse("modules:\n  edgeProxy:\n    cpuAffinity: pinned\n", AgentConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cpuAffinity").hasMessageContaining("pinned");
        assertThatThrownBy(() -> YamlConfig.parse("modules:\n  edgeProxy:\n    ioThreads: -1\n", AgentConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ioThreads").hasMessageContaining("-1");
        assertThatThrownBy(() -> CpuAffinity.parse("cpuAffinity", "everywhere"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cpuAffinity").hasMessageContaining("everywhere");
        assertThat(CpuAffinity.parse("cpuAffinity", " SPREAD ")).isEqualTo(CpuAffinity.SPREAD);
    }

    /** Each event loop's Cpus_allowed_list, read on that loop's own thread. */
    private static List<List<Integer>> loopCpus(NettyTransport transport) throws Exception {
        List<List<Integer>> seen = new ArrayList<>();
        for (EventExecutor loop : transport.group()) {
            seen.add(loop.submit(() -> cpusAllowed(Path.of("/proc/thread-self/status"))).get(10, TimeUnit.SECONDS));
        }
        return seen;
    }

    /** The Cpus_allowed_list line of a /proc status file ("0-3,8"), expanded. */
    private static List<Integer> cpusAllowed(Path status) throws IOException {
        String list = Files.readAllLines(status).stream().filter(l -> l.startsWith("Cpus_allowed_list:"))
                .findFirst().orElseThrow().substring("Cpus_allowed_list:".length()).strip();
        List<Integer> cpus = new ArrayList<>();
        for (String range : list.split(",")) {
            String[] ends = range.split("-");
            int from = Integer.parseInt(ends[0]);
            int to = ends.length > 1 ? Integer.parseInt(ends[1]) : from;
            for (int cpu = from; cpu <= to; cpu++) {
                cpus.add(cpu);
            }
        }
        return cpus;
    }
}
