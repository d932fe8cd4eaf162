package io.kedge.agent.discovery;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
import java.util.ArrayList;
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

    /**
     * Reads a {@link Snapshot} element by element, each one's parts shared ({@link SharedParts}) as it is
     * read: the whole file's objects never need to be held twice.
     */
    private static Catalog read(JsonParser parser) throws IOException {
        SharedParts parts = new SharedParts();
        long generation = 0;
        Map<ServiceKey, Service> services = new HashMap<>();
        Map<ServiceKey, List<Endpoint>> endpoints = new HashMap<>();
        Map<String, Node> nodes = new HashMap<>();
        expect(parser, parser.nextToken(), JsonToken.START_OBJECT, "the snapshot");
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "generation" -> generation = parser.getValueAsLong();
                case "services" -> {
                    expect(parser, value, JsonToken.START_ARRAY, "services");
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        Service svc = parts.service(element(parser, Service.class, "services"));
                        services.put(svc.key(), svc);
                    }
                }
                case "endpoints" -> {
                    expect(parser, value, JsonToken.START_OBJECT, "endpoints");
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        ServiceKey key = parts.key(ServiceKey.parse(parser.currentName()));
                        expect(parser, parser.nextToken(), JsonToken.START_ARRAY, "endpoints of " + key);
                        List<Endpoint> list = new ArrayList<>();
                        while (parser.nextToken() != JsonToken.END_ARRAY) {
                            list.add(parts.endpoint(element(parser, Endpoint.class, "endpoints of " + key)));
                        }
                        endpoints.put(key, list);
                    }
                }
                case "nodes" -> {
                    expect(parser, value, JsonToken.START_ARRAY, "nodes");
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        Node node = element(parser, Node.class, "nodes");
                        nodes.put(node.name(), node);
                    }
                }
                default -> parser.skipChildren(); // "version", and fields a later agent may add
            }
        }
        return new Catalog(generation, services, endpoints, nodes);
    }

    private static <T> T element(JsonParser parser, Class<T> type, String where) throws IOException {
        expect(parser, parser.currentToken(), JsonToken.START_OBJECT, "an element of " + where);
        return parser.readValueAs(type);
    }

    private static void expect(JsonParser parser, JsonToken actual, JsonToken expected, String what) throws IOException {
        if (actual != expected) {
            throw new JsonParseException(parser, what + ": expected " + expected + ", found " + actual);
        }
    }

    public Optional<Catalog> load() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            try (JsonParser parser = JSON.createParser(file.toFile())) {
                return Optional.of(read(parser));
            }
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
