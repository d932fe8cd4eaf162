package io.kedge.topo.live;

import io.kedge.common.exec.CommandException;
import io.kedge.common.exec.CommandRunner;
import io.kedge.topo.plan.Node;
import io.kedge.topo.plan.Plan;
import io.kedge.topo.plan.Planner;
import io.kedge.topo.plan.Step;
import io.kedge.topo.spec.TopologySpec;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A topology that exists: its namespaces, links, addresses and NAT rules are in place. Closing it
 * stops every process it started and removes every namespace (and with them every veth, bridge and
 * rule) it made.
 */
public final class Topology implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Topology.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Plan plan;
    private final CommandRunner runner;
    private final Namespaces namespaces;
    private final RunRegistry registry;
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    private final List<HostProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private Thread shutdownHook;
    private volatile boolean down;

    private Topology(Plan plan, CommandRunner runner, RunRegistry registry) {
        this.plan = plan;
        this.runner = runner;
        this.namespaces = new Namespaces(runner);
        this.registry = registry;
        for (Node node : plan.nodes()) {
            if (node.kind() != Node.Kind.SWITCH) {
                hosts.put(node.name(), new Host(this, node, runner));
            }
        }
    }

    /** Builds {@code spec} owned by this process: it is torn down on {@link #close()} or JVM exit. */
    public static Topology up(TopologySpec spec) {
        return up(spec, false);
    }

    /**
     * Builds {@code spec}. A detached topology outlives this process (the {@code topo up} CLI) and is
     * removed by {@code topo down}.
     */
    public static Topology up(TopologySpec spec, boolean detached) {
        CommandRunner runner = new CommandRunner(Duration.ofSeconds(30), Map.of());
        Preflight.check(runner);
        Namespaces namespaces = new Namespaces(runner);
        RunRegistry registry = new RunRegistry(RunRegistry.defaultDir(), namespaces);
        registry.cleanStale();
        Plan plan = Planner.plan(spec, newRunId());
        Topology topology = new Topology(plan, runner, registry);
        // Recorded before the first namespace exists, so a crash at any point leaves a findable trail.
        registry.save(detached ? RunRegistry.detached(plan) : RunRegistry.ownedByThisProcess(plan));
        if (!detached) {
            topology.shutdownHook = new Thread(topology::close, "topology-teardown-" + plan.runId());
            Runtime.getRuntime().addShutdownHook(topology.shutdownHook);
        }
        try {
            for (Step step : plan.steps()) {
                runner.check(step.argv(), step.stdin(), Duration.ofSeconds(30));
            }
        } catch (RuntimeException e) {
            log.error("bringing up topology {} failed; tearing down what was made", spec.name());
            topology.close();
            throw e;
        }
        log.info("topology {} is up as run {} ({} namespaces)", spec.name(), plan.runId(), plan.nodes().size());
        return topology;
    }

    /** A handle on a run that another process brought up (CLI use). */
    public static Topology attach(RunRegistry.RunState run) {
        CommandRunner runner = new CommandRunner(Duration.ofSeconds(30), Map.of());
        return new Topology(run.plan(), runner, new RunRegistry(RunRegistry.defaultDir(), new Namespaces(runner)));
    }

    static String newRunId() {
        byte[] bytes = new byte[3];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    public Plan plan() {
        return plan;
    }

    public String runId() {
        return plan.runId();
    }

    public String name() {
        return plan.name();
    }

    /** A host, gateway ({@code gw-<site>}) or the NAT probe host, by name. */
    public Host host(String name) {
        Host h = hosts.get(name);
        if (h == null) {
            throw new NoSuchElementException("no host '" + name + "' in topology " + plan.name() + "; hosts: " + String.join(", ", hosts.keySet()));
        }
        return h;
    }

    /** Every addressable host (public, site hosts and probe), not gateways. */
    public List<Host> hosts() {
        return plan.hosts().stream().map(n -> hosts.get(n.name())).toList();
    }

    public List<Host> gateways() {
        return plan.nodes().stream().filter(n -> n.kind() == Node.Kind.GATEWAY).map(n -> hosts.get(n.name())).toList();
    }

    void track(HostProcess process) {
        processes.add(process);
    }

    /** Processes started in this topology, oldest first. */
    public List<HostProcess> processes() {
        synchronized (processes) {
            return List.copyOf(processes);
        }
    }

    /** Whether every namespace of the run exists. */
    public boolean intact() {
        return namespaces.list().containsAll(plan.namespaces());
    }

    /** A table of nodes, addresses and NAT types, for people. */
    public String describe() {
        return describe(plan);
    }

    public static String describe(Plan plan) {
        StringBuilder sb = new StringBuilder();
        sb.append("topology ").append(plan.name()).append(" (run ").append(plan.runId()).append(")\n");
        sb.append(String.format("  %-14s %-8s %-8s %-16s %-34s %s%n", "NAME", "KIND", "SITE", "NAT", "ADDRESSES", "NAMESPACE"));
        for (Node n : plan.nodes()) {
            if (n.kind() == Node.Kind.SWITCH) {
                continue;
            }
            sb.append(String.format("  %-14s %-8s %-8s %-16s %-34s %s%n", n.name(), n.kind().name().toLowerCase(),
                    n.site() == null ? "-" : n.site(), n.nat() == null ? "-" : n.nat().yamlName(),
                    String.join(",", n.addresses()), n.namespace()));
        }
        return sb.toString();
    }

    /** Stops every process and removes every namespace of this run. Safe to call more than once. */
    @Override
    public synchronized void close() {
        if (down) {
            return;
        }
        down = true;
        for (HostProcess p : processes()) {
            try {
                p.stop();
            } catch (RuntimeException e) {
                log.warn("stopping {}: {}", p, e.toString());
            }
        }
        List<String> failed = new ArrayList<>();
        for (String ns : plan.namespaces()) {
            try {
                namespaces.delete(ns);
            } catch (CommandException e) {
                failed.add(ns + ": " + e.getMessage());
            }
        }
        List<String> left = namespaces.list().stream().filter(ns -> ns.startsWith(Plan.namespacePrefix(plan.runId()))).toList();
        if (left.isEmpty()) {
            registry.remove(plan.runId());
        } else {
            log.error("namespaces left after teardown of run {}: {} {}", plan.runId(), left, failed);
        }
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // Already shutting down.
            }
        }
        log.info("topology {} (run {}) is down", plan.name(), plan.runId());
    }

    @Override
    public String toString() {
        return "topology " + plan.name() + " run " + plan.runId() + ": " + hosts.keySet().stream().collect(Collectors.joining(", "));
    }
}
