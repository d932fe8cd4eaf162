package io.kedge.agent.discovery;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.Node;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last catalog, on disk, so that an agent restarted while the API is unreachable serves what it
 * served before instead of nothing. Written atomically; an unreadable file is ignored (and kept
 * aside for inspection), never fatal.
 */
public final class CatalogStateFile {
    private static final Logger log = LoggerFactory.getLogger(CatalogStateFile.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .findAndRegisterModules()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The file's shape: plain lists so that it stays readable. */
    record Snapshot(int version, long generation, List<Service> services, Map<String, List<Endpoint>> endpoints, List<Node> nodes) {
    }

    private final Path file;

    public CatalogStateFile(Path dir) {
        this.file = dir.resolve("catalog.json");
    }

    public Path path() {
        return file;
    }

    public void save(Catalog catalog) {
        Map<String, List<Endpoint>> eps = new LinkedHashMap<>();
        catalog.endpoints().forEach((k, v) -> eps.put(k.toString(), v));
        Snapshot s = new Snapshot(1, catalog.generation(), List.copyOf(catalog.services().values()), eps,
                List.copyOf(catalog.nodes().values()));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), s);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.warn("cannot save catalog to {}: {}", file, e.toString());
        }
    }

    public Optional<Catalog> load() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            Snapshot s = JSON.readValue(file.toFile(), Snapshot.class);
            Map<ServiceKey, Service> services = new HashMap<>();
            s.services().forEach(svc -> services.put(svc.key(), svc));
            Map<ServiceKey, List<Endpoint>> eps = new HashMap<>();
            s.endpoints().forEach((k, v) -> eps.put(ServiceKey.parse(k), v));
            Map<String, Node> nodes = new HashMap<>();
            s.nodes().forEach(n -> nodes.put(n.name(), n));
            return Optional.of(new Catalog(s.generation(), services, eps, nodes));
        } catch (IOException | RuntimeException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".unreadable");
            log.warn("ignoring unreadable catalog state {} (moved to {}): {}", file, aside, e.toString());
            try {
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException moveFailed) {
                log.warn("cannot move {} aside: {}", file, moveFailed.toString());
            }
            return Optional.empty();
        }
    }
}
