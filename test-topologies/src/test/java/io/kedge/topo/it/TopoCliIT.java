package io.kedge.topo.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.common.exec.CommandResult;
import io.kedge.common.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The real {@code bin/topo} launcher, as an operator uses it. */
class TopoCliIT {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path TOPO = ROOT.resolve("bin/topo");
    private final CommandRunner runner = new CommandRunner();

    CommandResult topo(String... args) {
        List<String> argv = new ArrayList<>(List.of(TOPO.toString()));
        argv.addAll(List.of(args));
        return runner.run(argv, null, Duration.ofMinutes(3));
    }

    @Test
    void helpAndVersion() {
        CommandResult help = topo("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.stdout()).contains("Usage: topo", "up", "down", "status", "exec", "probe");
        CommandResult version = topo("--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.stdout()).startsWith("topo 0.1.0-SNAPSHOT");
        CommandResult exec = topo("exec", "--help");
        assertThat(exec.stdout()).contains("topo exec HOST -- CMD");
    }

    @Test
    void badTopologyFileNamesTheKey() throws Exception {
        Path bad = Files.createTempFile("bad-topology", ".yaml");
        try {
            Files.writeString(bad, "name: bad\nsites: [{name: s, nat: full-cone, hosts: [h]}]\n");
            CommandResult r = topo("up", bad.toString());
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.stderr()).contains("sites[0].nat: expected one of none, port-restricted, symmetric, udp-blocked (got \"full-cone\")");
        } finally {
            Files.delete(bad);
        }
    }

    @Test
    void upStatusExecProbeDown() {
        CommandResult up = topo("up", ROOT.resolve("test-topologies/src/main/resources/topologies/demo.yaml").toString());
        assertThat(up.exitCode()).as(up.stderr()).isZero();
        Matcher m = Pattern.compile("up as run (\\w+)").matcher(up.stdout());
        assertThat(m.find()).as(up.stdout()).isTrue();
        String run = m.group(1);
        try {
            assertThat(topo("status").stdout()).contains("topology demo (run " + run + ")", "a1", "100.64.1.11/24", "symmetric");
            CommandResult exec = topo("exec", "--run", run, "a2", "--", "ip", "-4", "-o", "addr", "show", "dev", "eth0");
            assertThat(exec.exitCode()).isZero();
            CommandResult probe = topo("probe", "--run", run);
            assertThat(probe.exitCode()).as(probe.stdout() + probe.stderr()).isZero();
            assertThat(probe.stdout()).containsPattern("a1\\s+port-restricted\\s+port-restricted")
                    .containsPattern("b1\\s+symmetric\\s+symmetric").doesNotContain("MISMATCH");
            CommandResult failing = topo("exec", "--run", run, "b1", "--", "sh", "-c", "exit 7");
            assertThat(failing.exitCode()).as("exit code passes through").isEqualTo(7);
        } finally {
            CommandResult down = topo("down", run);
            assertThat(down.stdout()).contains("removed run " + run);
        }
        assertThat(topo("status").stdout()).doesNotContain(run);
    }
}
