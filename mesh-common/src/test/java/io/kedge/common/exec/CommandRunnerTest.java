package io.kedge.common.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandRunnerTest {
    private final CommandRunner runner = new CommandRunner();

    @Test
    void capturesOutputAndExitCode() {
        CommandResult r = runner.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.ok()).isFalse();
    }

    @Test
    void feedsStandardInput() {
        CommandResult r = runner.check(List.of("tr", "a-z", "A-Z"), "hello", Duration.ofSeconds(5));
        assertThat(r.stdout()).isEqualTo("HELLO");
    }

    @Test
    void checkNamesTheCommandAndItsErrorOnFailure() {
        assertThatThrownBy(() -> runner.check(List.of("sh", "-c", "echo 'no permission' >&2; exit 4")))
                .isInstanceOf(CommandException.class)
                .hasMessageContaining("sh -c")
                .hasMessageContaining("exited 4")
                .hasMessageContaining("no permission")
                .satisfies(e -> assertThat(((CommandException) e).result().exitCode()).isEqualTo(4));
    }

    @Test
    void missingProgramIsReportedClearly() {
        assertThatThrownBy(() -> runner.run(List.of("kedge-no-such-program-xyz")))
                .isInstanceOf(CommandException.class)
                .hasMessageContaining("kedge-no-such-program-xyz is not installed or not on PATH");
    }

    @Test
    void timeoutKillsTheProcessAndItsChildren() throws Exception {
        assertThatThrownBy(() -> runner.run(List.of("sh", "-c", "sleep 30 & sleep 30; wait"), null, Duration.ofMillis(300)))
                .isInstanceOf(CommandException.class)
                .hasMessageContaining("did not finish within");
        // No `sleep 30` child of ours survives.
        assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count()).isZero();
    }

    @Test
    void outputCaptureIsBounded() {
        CommandResult r = runner.check(List.of("sh", "-c", "head -c 20000000 /dev/zero"), null, Duration.ofSeconds(20));
        assertThat(r.stdout().length()).isEqualTo(CommandRunner.MAX_CAPTURE_BYTES);
    }

    @Test
    void rendersArgumentsQuotedWhereNeeded() {
        assertThat(CommandRunner.render(List.of("ip", "netns", "exec", "kt-1", "sh", "-c", "echo 'a b'")))
                .isEqualTo("ip netns exec kt-1 sh -c 'echo '\\''a b'\\'''");
    }
}
