package io.kedge.server.it;

import io.kedge.server.testing.TurnClientMain;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@link TurnClientMain} running inside a topology host, driven line by line. */
final class ClientProcess {
    private static final Pattern READY = Pattern.compile("READY relayed=(\\S+) mapped=(\\S+)|FAILED allocate (\\d+)");

    final HostProcess process;
    final String relayed;
    final String mapped;
    final Integer failure;
    private int sequence;

    private ClientProcess(HostProcess process) {
        this.process = process;
        Matcher m = READY.matcher(process.awaitLine(READY, Duration.ofSeconds(60)));
        if (!m.find()) {
            throw new IllegalStateException("unexpected first line");
        }
        relayed = m.group(1);
        mapped = m.group(2);
        failure = m.group(3) == null ? null : Integer.valueOf(m.group(3));
    }

    static ClientProcess start(Host host, String transport, String server, int port, String user, String password) {
        return new ClientProcess(host.startJava("turn-client-" + transport, TurnClientMain.class.getName(), transport, server,
                String.valueOf(port), user, password));
    }

    /** Sends one command and returns its answer (without the sequence prefix). */
    String command(String line) {
        sequence++;
        try {
            process.stdin().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            process.stdin().flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to " + process, e);
        }
        String prefix = "#" + sequence + " ";
        String answer = process.awaitLine(Pattern.compile("^" + Pattern.quote(prefix)), Duration.ofSeconds(60));
        return answer.substring(prefix.length());
    }

    /** Counters from {@code stats}: {received, bytes, direct}. */
    long[] stats() {
        Matcher m = Pattern.compile("STATS received=(\\d+) bytes=(\\d+) direct=(\\d+)").matcher(command("stats"));
        if (!m.find()) {
            throw new IllegalStateException("no stats from " + process);
        }
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
    }

    void stop() {
        process.stop();
    }
}
