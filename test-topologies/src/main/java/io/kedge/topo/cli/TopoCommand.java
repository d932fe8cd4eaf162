package io.kedge.topo.cli;

import io.kedge.common.cli.Cli;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.config.ConfigException;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.Namespaces;
import io.kedge.topo.live.RunRegistry;
import io.kedge.topo.live.Topology;
import io.kedge.topo.plan.Node;
import io.kedge.topo.probe.NatBehaviour;
import io.kedge.topo.probe.NatProber;
import io.kedge.common.exec.CommandRunner;
import io.kedge.topo.spec.TopologySpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code topo}: bring network-namespace topologies up and down, look inside them, classify their NATs. */
@Command(name = "topo", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Network-namespace topologies (NATed sites, relay, cloud) for tests, benchmarks and the demo.",
        subcommands = {TopoCommand.Up.class, TopoCommand.Down.class, TopoCommand.Status.class,
                TopoCommand.Exec.class, TopoCommand.Probe.class})
public final class TopoCommand implements Callable<Integer> {
    @Option(names = "--log-level", defaultValue = "warn", description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 0;
    }

    RunRegistry registry() {
        Cli.logLevel(logLevel);
        return new RunRegistry(RunRegistry.defaultDir(), new Namespaces(new CommandRunner()));
    }

    /** The run named by {@code --run}, or the only detached run. */
    RunRegistry.RunState run(String runId) {
        List<RunRegistry.RunState> runs = registry().list();
        if (runId != null) {
            return runs.stream().filter(r -> r.runId().equals(runId) || r.plan().name().equals(runId)).findFirst()
                    .orElseThrow(() -> new ConfigException("--run", runId, "no such run (see topo status)"));
        }
        List<RunRegistry.RunState> detached = runs.stream().filter(RunRegistry.RunState::detached).toList();
        if (detached.size() == 1) {
            return detached.get(0);
        }
        throw new ConfigException("--run", null, detached.isEmpty() ? "no topology is up (topo up FILE)"
                : "several topologies are up; pick one: " + String.join(", ", detached.stream().map(RunRegistry.RunState::runId).toList()));
    }

    @Command(name = "up", mixinStandardHelpOptions = true, description = "Bring up the topology declared in FILE.")
    static final class Up implements Callable<Integer> {
        @ParentCommand
        TopoCommand parent;

        @Parameters(paramLabel = "FILE", description = "Topology YAML file.")
        Path file;

        @Option(names = "--foreground", description = "Stay attached: tear the topology down on Ctrl-C (or when stdin closes).")
        boolean foreground;

        @Option(names = "--probe", description = "Classify every site host's NAT after bringing the topology up.")
        boolean probe;

        @Option(names = "--exit", description = "With --foreground: tear down at once instead of waiting.")
        boolean exit;

        @Override
        public Integer call() throws Exception {
            parent.registry();
            TopologySpec spec = TopologySpec.load(file);
            Topology topology = Topology.up(spec, !foreground);
            System.out.print(topology.describe());
            if (probe) {
                printProbe(topology, topology.hosts().stream().filter(h -> h.node().kind() == Node.Kind.HOST).toList());
            }
            if (!foreground) {
                System.out.println("up as run " + topology.runId() + "; remove it with: topo down " + topology.runId());
                return 0;
            }
            if (!exit) {
                System.out.println("running; press Ctrl-C to tear down");
                waitForInterrupt();
            }
            topology.close();
            System.out.println("torn down");
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, description = "Tear down topologies: the given runs, or every detached one.")
    static final class Down implements Callable<Integer> {
        @ParentCommand
        TopoCommand parent;

        @Parameters(paramLabel = "RUN", arity = "0..*", description = "Run ids or topology names (default: every detached run).")
        List<String> runs = new ArrayList<>();

        @Option(names = "--stale", description = "Also remove runs whose owner process has died, and unrecorded leftovers.")
        boolean stale;

        @Override
        public Integer call() {
            RunRegistry registry = parent.registry();
            List<RunRegistry.RunState> targets = new ArrayList<>();
            for (RunRegistry.RunState r : registry.list()) {
                if (runs.isEmpty() ? r.detached() : runs.contains(r.runId()) || runs.contains(r.plan().name())) {
                    targets.add(r);
                }
            }
            for (RunRegistry.RunState r : targets) {
                Topology.attach(r).close();
                System.out.println("removed run " + r.runId() + " (" + r.plan().name() + ")");
            }
            if (stale || runs.isEmpty()) {
                for (String id : registry.cleanStale()) {
                    System.out.println("removed stale run " + id);
                }
            }
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show the topologies that are up.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        TopoCommand parent;

        @Override
        public Integer call() {
            RunRegistry registry = parent.registry();
            List<RunRegistry.RunState> runs = registry.list();
            if (runs.isEmpty()) {
                System.out.println("no topology is up");
                return 0;
            }
            for (RunRegistry.RunState r : runs) {
                Topology t = Topology.attach(r);
                System.out.print(t.describe());
                System.out.println("  owner: " + (r.detached() ? "detached (topo down " + r.runId() + ")" : "pid " + r.ownerPid()
                        + (r.ownerAlive() ? "" : " (dead: stale)")) + "; created " + r.createdAt()
                        + (t.intact() ? "" : "; SOME NAMESPACES ARE MISSING"));
            }
            return 0;
        }
    }

    @Command(name = "exec", mixinStandardHelpOptions = true, description = "Run a command inside a host: topo exec HOST -- CMD [ARGS...]")
    static final class Exec implements Callable<Integer> {
        @ParentCommand
        TopoCommand parent;

        @Option(names = "--run", description = "Run id or topology name (default: the only detached run).")
        String runId;

        @Parameters(index = "0", paramLabel = "HOST")
        String host;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD")
        List<String> command;

        @Override
        public Integer call() throws IOException, InterruptedException {
            Host h = Topology.attach(parent.run(runId)).host(host);
            Process p = new ProcessBuilder(h.inside(command)).inheritIO().start();
            return p.waitFor();
        }
    }

    @Command(name = "probe", mixinStandardHelpOptions = true, description = "Classify the NAT in front of hosts (RFC 5780-style mapping and filtering tests).")
    static final class Probe implements Callable<Integer> {
        @ParentCommand
        TopoCommand parent;

        @Option(names = "--run", description = "Run id or topology name (default: the only detached run).")
        String runId;

        @Parameters(paramLabel = "HOST", arity = "0..*", description = "Hosts to probe (default: every site host).")
        List<String> hosts = new ArrayList<>();

        @Override
        public Integer call() {
            Topology t = Topology.attach(parent.run(runId));
            List<Host> targets = hosts.isEmpty()
                    ? t.hosts().stream().filter(h -> h.node().kind() == Node.Kind.HOST).toList()
                    : hosts.stream().map(t::host).toList();
            return printProbe(t, targets) ? 0 : 1;
        }
    }

    /** Prints measured vs declared NAT type per host; returns whether all match. */
    static boolean printProbe(Topology topology, List<Host> hosts) {
        Map<String, NatBehaviour> results = NatProber.classify(topology, hosts);
        boolean allMatch = true;
        System.out.printf("  %-14s %-16s %-16s %s%n", "HOST", "DECLARED NAT", "MEASURED", "DETAILS");
        for (Host h : hosts) {
            NatBehaviour b = results.get(h.name());
            String declared = h.node().nat() == null ? "none" : h.node().nat().yamlName();
            boolean match = declared.equals(b.classification());
            allMatch &= match;
            System.out.printf("  %-14s %-16s %-16s %s%s%n", h.name(), declared, b.classification(),
                    "mapping " + b.mapping().name().toLowerCase() + ", filtering " + b.filtering().name().toLowerCase()
                            + ", mapped " + b.mapped(), match ? "" : "  <-- MISMATCH");
        }
        return allMatch;
    }

    private static void waitForInterrupt() throws InterruptedException {
        CountDownLatch latch = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // ignore input; EOF ends the wait
                }
            } catch (IOException e) {
                // treat like EOF
            }
            latch.countDown();
        }, "stdin-watch");
        reader.setDaemon(true);
        reader.start();
        latch.await(); // Ctrl-C runs the shutdown hook, which tears down
    }

    public static void main(String[] args) {
        Cli.main(new TopoCommand(), args);
    }
}
