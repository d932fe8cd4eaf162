package io.kedge.topo.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.kedge.topo.plan.Plan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records which runs exist and who owns them, in {@code /run/kedge-topo} (tmpfs: gone after a
 * reboot, like the namespaces themselves). A run whose owner process is gone is stale; its
 * namespaces are removed by the next {@link #cleanStale}.
 */
public final class RunRegistry {
    private static final Logger log = LoggerFactory.getLogger(RunRegistry.class);
    public static final Path DEFAULT_DIR = Path.of("/run/kedge-topo");
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param ownerPid   the process that tears the run down, or 0 for a detached run (made by
     *                   {@code topo up}, removed by {@code topo down})
     * @param ownerStart that process's start time, so a reused pid is not mistaken for the owner
     */
    public record RunState(String runId, long ownerPid, String ownerStart, Instant createdAt, Plan plan) {
        public boolean detached() {
            return ownerPid == 0;
        }

        public boolean ownerAlive() {
            if (detached()) {
                return true;
            }
            return ProcessHandle.of(ownerPid)
                    .filter(ProcessHandle::isAlive)
                    .map(p -> ownerStart == null || p.info().startInstant().map(Object::toString).orElse("").equals(ownerStart))
                    .orElse(false);
        }
    }

    private final Path dir;
    private final Namespaces namespaces;

    public RunRegistry(Path dir, Namespaces namespaces) {
        this.dir = dir;
        this.namespaces = namespaces;
    }

    public static Path defaultDir() {
        String env = System.getenv("KEDGE_TOPO_STATE_DIR");
        return env == null || env.isBlank() ? DEFAULT_DIR : Path.of(env);
    }

    public static RunState ownedByThisProcess(Plan plan) {
        ProcessHandle self = ProcessHandle.current();
        return new RunState(plan.runId(), self.pid(), self.info().startInstant().map(Object::toString).orElse(null),
                Instant.now(), plan);
    }

    public static RunState detached(Plan plan) {
        return new RunState(plan.runId(), 0, null, Instant.now(), plan);
    }

    public void save(RunState state) {
        Path tmp = dir.resolve(state.runId() + ".json.tmp");
        try {
            Files.createDirectories(dir);
            JSON.writeValue(tmp.toFile(), state);
            Files.move(tmp, dir.resolve(state.runId() + ".json"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original error is the one worth reporting
            }
            throw new UncheckedIOException("cannot record run " + state.runId() + " in " + dir, e);
        }
    }

    public void remove(String runId) {
        try {
            Files.deleteIfExists(dir.resolve(runId + ".json"));
        } catch (IOException e) {
            log.warn("cannot remove run record {}: {}", runId, e.toString());
        }
    }

    public Optional<RunState> get(String runId) {
        Path file = dir.resolve(runId + ".json");
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), RunState.class));
        } catch (IOException e) {
            log.warn("unreadable run record {}: {}", file, e.toString());
            return Optional.empty();
        }
    }

    public List<RunState> list() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<RunState> runs = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(f -> f.getFileName().toString().endsWith(".json"))
                    .map(f -> f.getFileName().toString().replace(".json", ""))
                    .sorted()
                    .forEach(id -> get(id).ifPresent(runs::add));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return runs;
    }

    /**
     * Removes the namespaces of every run whose owner has died, and namespaces with our prefix that
     * no record explains. A run is recorded before its first namespace is made, so an unexplained
     * namespace is always a leftover. Returns the run ids removed.
     */
    public List<String> cleanStale() {
        Set<String> stale = new LinkedHashSet<>();
        Set<String> live = new LinkedHashSet<>();
        for (RunState run : list()) {
            if (run.ownerAlive()) {
                live.add(run.runId());
            } else {
                stale.add(run.runId());
            }
        }
        List<String> orphans = new ArrayList<>();
        for (String ns : namespaces.list()) {
            if (!ns.startsWith(Plan.NAMESPACE_PREFIX)) {
                continue;
            }
            String rest = ns.substring(Plan.NAMESPACE_PREFIX.length());
            int dash = rest.indexOf('-');
            String runId = dash < 0 ? rest : rest.substring(0, dash);
            if (live.contains(runId)) {
                continue;
            }
            stale.add(runId);
            orphans.add(ns);
        }
        for (String runId : stale) {
            log.info("removing stale topology run {}", runId);
            get(runId).ifPresent(run -> run.plan().namespaces().forEach(namespaces::delete));
            remove(runId);
        }
        orphans.forEach(namespaces::delete);
        return List.copyOf(stale);
    }
}
