package io.kedge.topo.probe;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kedge.common.exec.CommandResult;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.JavaCommand;
import io.kedge.topo.live.Topology;
import io.kedge.topo.plan.Planner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Classifies the NAT in front of hosts of a live topology by running the probe from each of them. */
public final class NatProber {
    public static final int PORT = 3490;
    public static final int ALTERNATE_PORT = 3491;
    private static final ObjectMapper JSON = new ObjectMapper();

    private NatProber() {
    }

    /** Probes every host in {@code hosts} against the topology's probe host. */
    public static Map<String, NatBehaviour> classify(Topology topology, List<Host> hosts) {
        Host probe = topology.host(Planner.PROBE_HOST);
        String primary = probe.node().address(0);
        String alternate = probe.node().address(1);
        HostProcess server = probe.startJava("nat-probe-server", NatProbeServer.class.getName(),
                primary, alternate, String.valueOf(PORT), String.valueOf(ALTERNATE_PORT));
        try {
            server.awaitLine(Pattern.compile("^READY$"), Duration.ofSeconds(30));
            Map<String, NatBehaviour> results = new LinkedHashMap<>();
            for (Host host : hosts) {
                List<String> argv = new ArrayList<>(List.of(JavaCommand.javaBinary(), "-cp", System.getProperty("java.class.path")));
                argv.addAll(JavaCommand.TEST_JVM_OPTIONS);
                argv.addAll(List.of(NatProbeClient.class.getName(), primary, alternate, String.valueOf(PORT), String.valueOf(ALTERNATE_PORT)));
                CommandResult r = host.exec(Duration.ofSeconds(60), argv, null);
                if (!r.ok()) {
                    throw new IllegalStateException("NAT probe on " + host.name() + " failed: " + r.stderr());
                }
                String json = r.stdout().strip();
                json = json.substring(json.lastIndexOf('\n') + 1);
                try {
                    results.put(host.name(), JSON.readValue(json, NatBehaviour.class));
                } catch (IOException e) {
                    throw new UncheckedIOException("unreadable probe result from " + host.name() + ": " + json, e);
                }
            }
            return results;
        } finally {
            server.stop();
        }
    }
}
