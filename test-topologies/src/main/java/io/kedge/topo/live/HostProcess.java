package io.kedge.topo.live;

import io.kedge.common.exec.CommandRunner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A long-running process inside a host's namespace. Its stdout and stderr are kept (the last
 * {@link #MAX_LINES} lines) so that a failing test can show what the process said.
 */
public final class HostProcess {
    static final int MAX_LINES = 5000;

    private final String host;
    private final String label;
    private final List<String> command;
    private final Process process;
    private final Deque<String> lines = new ArrayDeque<>();
    private long linesSeen;

    HostProcess(String host, String label, List<String> command, Process process) {
        this.host = host;
        this.label = label;
        this.command = List.copyOf(command);
        this.process = process;
        pump(process.getInputStream(), "");
        pump(process.getErrorStream(), "[stderr] ");
    }

    public String host() {
        return host;
    }

    public String label() {
        return label;
    }

    public List<String> command() {
        return command;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public OutputStream stdin() {
        return process.getOutputStream();
    }

    /** Exit code, or -1 while running. */
    public int exitCode() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** Everything kept so far, one line per line. */
    public synchronized String output() {
        return String.join("\n", lines);
    }

    /**
     * Waits until a line matching {@code pattern} has been printed, the process exits, or the timeout
     * passes; returns the matching line.
     *
     * @throws IllegalStateException if no such line appeared
     */
    public String awaitLine(Pattern pattern, Duration timeout) {
        return awaitLine(pattern, timeout, 0);
    }

    /** Like {@link #awaitLine(Pattern, Duration)}, considering only lines printed after {@code mark} (see {@link #mark()}). */
    public String awaitLine(Pattern pattern, Duration timeout, long mark) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                long index = linesSeen - lines.size();
                for (String line : lines) {
                    if (index++ >= mark && pattern.matcher(line).find()) {
                        return line;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && drained())) {
                    throw new IllegalStateException(label + " on " + host + (process.isAlive() ? " printed no line matching /"
                            + pattern + "/ within " + timeout : " exited " + process.exitValue() + " before printing /" + pattern + "/")
                            + "; its output:\n" + output());
                }
                try {
                    wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 100)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
        }
    }

    /** Waits for the process to exit on its own; returns its exit code. */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(label + " on " + host + " still running after " + timeout + "; output:\n" + output());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Asks the process to stop (SIGTERM), and kills it and its children if it has not within 5 s. */
    public void stop() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                CommandRunner.kill(process);
            }
        } catch (InterruptedException e) {
            CommandRunner.kill(process);
            Thread.currentThread().interrupt();
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
    }

    /** Kills the process at once (SIGKILL), as a crash would. */
    public void kill() {
        CommandRunner.kill(process);
    }

    private int pumpsRunning = 2;

    private synchronized boolean drained() {
        return pumpsRunning == 0;
    }

    private void pump(InputStream stream, String prefix) {
        Thread t = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    append(prefix + line);
                }
            } catch (IOException e) {
                // Closed when the process dies; what was read is kept.
            } finally {
                synchronized (this) {
                    pumpsRunning--;
                    notifyAll();
                }
            }
        }, "out-" + host + "-" + label);
        t.setDaemon(true);
        t.start();
    }

    private synchronized void append(String line) {
        lines.addLast(line);
        linesSeen++;
        if (lines.size() > MAX_LINES) {
            lines.removeFirst();
        }
        notifyAll();
    }

    /** A position in the output: lines printed from now on come after it. */
    public synchronized long mark() {
        return linesSeen;
    }

    /** Number of lines printed since start, including ones no longer kept. */
    public synchronized long linesSeen() {
        return linesSeen;
    }

    @Override
    public String toString() {
        return label + "@" + host + " (pid " + process.pid() + (process.isAlive() ? ", running)" : ", exited " + process.exitValue() + ")");
    }
}
