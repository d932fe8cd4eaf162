package io.kedge.topo.live;

import io.kedge.common.exec.CommandResult;
import io.kedge.common.exec.CommandRunner;
import io.kedge.topo.plan.Node;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A host (or gateway) of a live topology: run commands and processes inside its namespace. */
public final class Host {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final Topology topology;
    private final Node node;
    private final CommandRunner runner;

    Host(Topology topology, Node node, CommandRunner runner) {
        this.topology = topology;
        this.node = node;
        this.runner = runner;
    }

    public String name() {
        return node.name();
    }

    public String namespace() {
        return node.namespace();
    }

    /** Primary address (no prefix length). For a gateway, its WAN address. */
    public String address() {
        return node.address();
    }

    public Node node() {
        return node;
    }

    public Topology topology() {
        return topology;
    }

    /** {@code argv} prefixed so that it runs inside this host's namespace. */
    public List<String> inside(List<String> argv) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", node.namespace()));
        full.addAll(argv);
        return full;
    }

    /** Runs a command to completion inside the host; a non-zero exit is returned, not thrown. */
    public CommandResult exec(String... argv) {
        return exec(DEFAULT_TIMEOUT, List.of(argv), null);
    }

    public CommandResult exec(Duration timeout, List<String> argv, String stdin) {
        return runner.run(inside(argv), stdin, timeout);
    }

    /** Runs a command inside the host and throws, with its output, unless it exits 0. */
    public CommandResult execOk(String... argv) {
        return runner.check(inside(List.of(argv)), null, DEFAULT_TIMEOUT);
    }

    /** Runs {@code script} with {@code sh -c} inside the host. */
    public CommandResult sh(String script) {
        return exec(DEFAULT_TIMEOUT, List.of("sh", "-c", script), null);
    }

    /**
     * Makes processes started in this host read {@code content} as /etc/resolv.conf: {@code ip netns
     * exec} bind-mounts /etc/netns/NAMESPACE/resolv.conf over it. Removed with the namespace.
     */
    public void resolvConf(String content) {
        try {
            Path dir = Namespaces.etcDir(node.namespace());
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("resolv.conf"), content);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write resolv.conf for " + name(), e);
        }
    }

    /** Starts a long-running process inside the host; the topology stops it at teardown. */
    public HostProcess start(String label, List<String> argv) {
        List<String> full = inside(argv);
        try {
            Process p = new ProcessBuilder(full).start();
            HostProcess hp = new HostProcess(name(), label, full, p);
            topology.track(hp);
            return hp;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + label + " on " + name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts {@code mainClass} in a new JVM inside the host, with this JVM's java binary and class
     * path (so tests can run any class of the reactor).
     */
    public HostProcess startJava(String label, List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add(JavaCommand.javaBinary());
        argv.add("-cp");
        argv.add(System.getProperty("java.class.path"));
        argv.addAll(jvmOptions);
        argv.add(mainClass);
        argv.addAll(args);
        return start(label, argv);
    }

    public HostProcess startJava(String label, String mainClass, String... args) {
        return startJava(label, JavaCommand.TEST_JVM_OPTIONS, mainClass, List.of(args));
    }

    @Override
    public String toString() {
        return name() + " (" + node.kind().name().toLowerCase() + ", " + String.join(", ", node.addresses()) + ", ns " + namespace() + ")";
    }
}
