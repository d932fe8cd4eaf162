package io.kedge.agent.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/** Drives a {@link MockApiServerMain} running in a topology host: the test's way to change the cluster. */
public final class ApiControl {
    public static final int PORT = 6443;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HostProcess process;
    private final String url;

    private ApiControl(HostProcess process, String url) {
        this.process = process;
        this.url = url;
    }

    public static ApiControl start(Host host) {
        HostProcess p = host.startJava("mock-api", MockApiServerMain.class.getName(), host.address(), String.valueOf(PORT));
        p.awaitLine(Pattern.compile("^READY"), Duration.ofSeconds(60));
        return new ApiControl(p, "http://" + host.address() + ":" + PORT);
    }

    public String url() {
        return url;
    }

    public HostProcess process() {
        return process;
    }

    /** Creates or updates every object in the YAML stream. */
    public void apply(String yaml) {
        send("apply", yaml);
    }

    public void delete(String yaml) {
        send("delete", yaml);
    }

    private synchronized void send(String op, String yaml) {
        long mark = process.mark();
        try {
            process.stdin().write((JSON.writeValueAsString(Map.of("op", op, "yaml", yaml)) + "\n").getBytes(StandardCharsets.UTF_8));
            process.stdin().flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String reply = process.awaitLine(Pattern.compile("^(OK|ERR)"), Duration.ofSeconds(30), mark);
        if (reply.startsWith("ERR")) {
            throw new IllegalStateException("mock API refused " + op + ": " + reply);
        }
    }
}
