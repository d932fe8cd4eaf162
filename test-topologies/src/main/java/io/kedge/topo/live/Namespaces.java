package io.kedge.topo.live;

import io.kedge.common.exec.CommandResult;
import io.kedge.common.exec.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Listing, emptying and deleting network namespaces with iproute2. */
public final class Namespaces {
    private static final Logger log = LoggerFactory.getLogger(Namespaces.class);
    private final CommandRunner runner;

    public Namespaces(CommandRunner runner) {
        this.runner = runner;
    }

    /** Names of all network namespaces known to {@code ip netns}. */
    public List<String> list() {
        CommandResult r = runner.check(List.of("ip", "netns", "list"));
        List<String> names = new ArrayList<>();
        for (String line : r.stdout().split("\n")) {
            String trimmed = line.strip();
            if (!trimmed.isEmpty()) {
                names.add(trimmed.split("\\s+")[0]);
            }
        }
        return names;
    }

    /** Kills every process inside {@code namespace} (they would otherwise keep it alive). */
    public void killAll(String namespace) {
        CommandResult r = runner.run(List.of("ip", "netns", "pids", namespace));
        if (!r.ok()) {
            return;
        }
        List<ProcessHandle> victims = new ArrayList<>();
        for (String line : r.stdout().split("\n")) {
            if (!line.isBlank()) {
                ProcessHandle.of(Long.parseLong(line.strip())).ifPresent(victims::add);
            }
        }
        victims.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        for (ProcessHandle p : victims) {
            while (p.isAlive() && System.nanoTime() < deadline) {
                sleep(20);
            }
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    /**
     * Deletes {@code namespace} after killing its processes, with its /etc/netns files; a missing
     * namespace is not an error.
     */
    public void delete(String namespace) {
        killAll(namespace);
        CommandResult r = runner.run(List.of("ip", "netns", "delete", namespace));
        if (!r.ok() && !r.stderr().contains("No such file")) {
            log.warn("could not delete namespace {}: {}", namespace, r.stderr().strip());
        }
        deleteTree(etcDir(namespace));
    }

    /** Per-namespace configuration files that {@code ip netns exec} bind-mounts over /etc. */
    public static Path etcDir(String namespace) {
        return Path.of("/etc/netns", namespace);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.delete(f);
                } catch (IOException e) {
                    log.warn("cannot delete {}: {}", f, e.toString());
                }
            });
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", dir, e.toString());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
