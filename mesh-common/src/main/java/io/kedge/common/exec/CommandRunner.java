package io.kedge.common.exec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs external programs (ip, iptables-restore, ...) with a time limit and bounded output capture.
 * Every failure becomes a {@link CommandException} whose message names the command, so callers can
 * show it to an operator as is.
 */
public final class CommandRunner {
    private static final Logger log = LoggerFactory.getLogger(CommandRunner.class);

    /** Output beyond this many bytes per stream is discarded: a runaway program cannot exhaust memory. */
    static final int MAX_CAPTURE_BYTES = 8 * 1024 * 1024;

    private final Duration defaultTimeout;
    private final Map<String, String> environment;

    public CommandRunner() {
        this(Duration.ofSeconds(30), Map.of());
    }

    public CommandRunner(Duration defaultTimeout, Map<String, String> environment) {
        this.defaultTimeout = defaultTimeout;
        this.environment = Map.copyOf(environment);
    }

    /** Runs {@code argv}; a non-zero exit is returned, not thrown. */
    public CommandResult run(List<String> argv) {
        return run(argv, null, defaultTimeout);
    }

    /** Runs {@code argv} and throws unless it exits 0. */
    public CommandResult check(List<String> argv) {
        return check(argv, null, defaultTimeout);
    }

    public CommandResult check(List<String> argv, String stdin, Duration timeout) {
        CommandResult result = run(argv, stdin, timeout);
        if (!result.ok()) {
            String why = firstNonBlank(result.stderr(), result.stdout());
            throw new CommandException("`" + result.commandLine() + "` exited " + result.exitCode()
                    + (why.isEmpty() ? "" : ": " + why), result, null);
        }
        return result;
    }

    /**
     * Runs {@code argv} with {@code stdin} (may be null) and waits at most {@code timeout}; on timeout
     * the process and its children are killed and a {@link CommandException} is thrown.
     */
    public CommandResult run(List<String> argv, String stdin, Duration timeout) {
        List<String> command = List.copyOf(argv);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new CommandException("cannot run `" + render(command) + "`: " + missingHint(command, e), e);
        }
        log.debug("run: {}", render(command));
        CompletableFuture<byte[]> out = drain(process.getInputStream());
        CompletableFuture<byte[]> err = drain(process.getErrorStream());
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // The program exited without reading its input; its exit code and stderr say why.
            log.debug("stdin of `{}` closed early: {}", render(command), e.toString());
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new CommandException("`" + render(command) + "` did not finish within " + timeout, null);
            }
            int exit = process.exitValue();
            return new CommandResult(command, exit, text(out), text(err));
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new CommandException("interrupted while running `" + render(command) + "`", e);
        }
    }

    /** Kills a process and everything it started. */
    public static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String render(List<String> command) {
        StringBuilder sb = new StringBuilder();
        for (String arg : command) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            boolean plain = !arg.isEmpty() && arg.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_./:=,@%+".indexOf(c) >= 0);
            sb.append(plain ? arg : "'" + arg.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    private static String missingHint(List<String> command, IOException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("error=2")) {
            return command.get(0) + " is not installed or not on PATH";
        }
        if (message.contains("error=13")) {
            return "permission denied executing " + command.get(0);
        }
        return message;
    }

    private static String firstNonBlank(String a, String b) {
        String s = a == null || a.isBlank() ? b : a;
        return s == null ? "" : s.strip();
    }

    private static CompletableFuture<byte[]> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            try (stream) {
                int n;
                while ((n = stream.read(chunk)) >= 0) {
                    int room = MAX_CAPTURE_BYTES - buffer.size();
                    if (room > 0) {
                        buffer.write(chunk, 0, Math.min(room, n));
                    }
                }
            } catch (IOException e) {
                // The stream closes when the process is killed; what was read so far is kept.
            }
            return buffer.toByteArray();
        }, DrainThreads.EXECUTOR);
    }

    private static String text(CompletableFuture<byte[]> bytes) throws InterruptedException {
        try {
            return new String(bytes.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        } catch (ExecutionException | TimeoutException e) {
            // A grandchild holding the pipe open must not hang us; report what we have.
            return "";
        }
    }

    /** Daemon threads for draining pipes, so a stuck child never keeps the JVM alive. */
    private static final class DrainThreads {
        static final java.util.concurrent.ExecutorService EXECUTOR =
                java.util.concurrent.Executors.newCachedThreadPool(r -> {
                    Thread t = new Thread(r, "command-output");
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Convenience for building argv lists. */
    public static List<String> argv(String... parts) {
        return new ArrayList<>(List.of(parts));
    }
}
