package io.kedge.agent.proxy;

import io.kedge.common.exec.CommandResult;
import io.kedge.common.exec.CommandRunner;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Runs curl (the third-party client the HTTP tests use) against a proxy listener. */
final class Curl {
    private static final CommandRunner RUNNER = new CommandRunner(Duration.ofSeconds(60), java.util.Map.of());

    private Curl() {
    }

    static String url(InetSocketAddress listener, String path) {
        return "http://" + listener.getAddress().getHostAddress() + ":" + listener.getPort() + path;
    }

    /** curl -sS --max-time 20 ARGS...; the result's stdout is the body (and what -w adds). */
    static CommandResult run(String... args) {
        List<String> argv = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        argv.addAll(List.of(args));
        return RUNNER.run(argv);
    }

    /** The body of a successful GET. */
    static String get(InetSocketAddress listener, String path, String... extra) {
        List<String> args = new ArrayList<>(List.of(extra));
        args.add("--fail");
        args.add(url(listener, path));
        CommandResult r = run(args.toArray(String[]::new));
        if (!r.ok()) {
            throw new AssertionError("curl failed (" + r.exitCode() + "): " + r.stderr());
        }
        return r.stdout();
    }
}
