package io.kedge.common.kubeapi.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.PrinterColumn;
import io.kedge.common.kubeapi.ResourceType;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * Turns stored objects into what a request asked for: the object in the requested version, a list,
 * a {@code Table} (kubectl's server-side printing), or {@code PartialObjectMetadata}.
 */
final class Renderer {
    private static final String META_V1 = "meta.k8s.io/v1";

    private final ResourceType type;
    private final Representation representation;
    private final String includeObject;
    private final Instant now;

    Renderer(ResourceType type, Representation representation, String includeObject, Instant now) {
        this.type = type;
        this.representation = representation;
        this.includeObject = includeObject == null || includeObject.isEmpty() ? "Metadata" : includeObject;
        this.now = now;
    }

    /** The object as this type's version presents it (versions of one resource share objects). */
    ObjectNode versioned(ObjectNode object) {
        if (type.apiVersion().equals(object.path("apiVersion").asText()) && type.kind().equals(object.path("kind").asText())) {
            return object;
        }
        ObjectNode copy = object.deepCopy();
        copy.put("apiVersion", type.apiVersion());
        copy.put("kind", type.kind());
        return copy;
    }

    /** One object, as a get answers. */
    ObjectNode single(ObjectNode object) {
        return switch (representation) {
            case TABLE -> table(List.of(object), null, null, true);
            case PARTIAL_METADATA -> partial(object);
            default -> versioned(object);
        };
    }

    /** A list answer. */
    ObjectNode list(List<ObjectNode> items, long resourceVersion, String continueToken, Long remaining) {
        if (representation == Representation.TABLE) {
            return table(items, Long.toString(resourceVersion), continueToken, true);
        }
        ObjectNode list = KubeObjects.JSON.createObjectNode();
        boolean partial = representation == Representation.PARTIAL_METADATA;
        list.put("kind", partial ? "PartialObjectMetadataList" : type.listKind());
        list.put("apiVersion", partial ? META_V1 : type.apiVersion());
        ObjectNode meta = list.putObject("metadata");
        meta.put("resourceVersion", Long.toString(resourceVersion));
        if (continueToken != null) {
            meta.put("continue", continueToken);
            if (remaining != null) {
                meta.put("remainingItemCount", remaining);
            }
        }
        ArrayNode array = list.putArray("items");
        for (ObjectNode item : items) {
            array.add(partial ? partial(item) : versioned(item));
        }
        return list;
    }

    /** The object a watch event carries; {@code first} says whether a Table should repeat its columns. */
    ObjectNode watched(ObjectNode object, boolean first) {
        return switch (representation) {
            case TABLE -> table(List.of(object), null, null, first);
            case PARTIAL_METADATA -> partial(object);
            default -> versioned(object);
        };
    }

    /** A bookmark's object: only kind, apiVersion and metadata.resourceVersion matter. */
    ObjectNode bookmark(long resourceVersion, boolean initialEventsEnd) {
        ObjectNode o = KubeObjects.JSON.createObjectNode();
        boolean meta = representation == Representation.PARTIAL_METADATA;
        o.put("kind", meta ? "PartialObjectMetadata" : type.kind());
        o.put("apiVersion", meta ? META_V1 : type.apiVersion());
        ObjectNode m = o.putObject("metadata");
        m.put("resourceVersion", Long.toString(resourceVersion));
        if (initialEventsEnd) {
            m.putObject("annotations").put("k8s.io/initial-events-end", "true");
        }
        return o;
    }

    private ObjectNode partial(ObjectNode object) {
        ObjectNode o = KubeObjects.JSON.createObjectNode();
        o.put("kind", "PartialObjectMetadata");
        o.put("apiVersion", META_V1);
        o.set("metadata", object.path("metadata").deepCopy());
        return o;
    }

    private ObjectNode table(List<ObjectNode> items, String resourceVersion, String continueToken, boolean withColumns) {
        ObjectNode table = KubeObjects.JSON.createObjectNode();
        table.put("kind", "Table");
        table.put("apiVersion", META_V1);
        ObjectNode meta = table.putObject("metadata");
        if (resourceVersion != null) {
            meta.put("resourceVersion", resourceVersion);
        }
        if (continueToken != null) {
            meta.put("continue", continueToken);
        }
        if (withColumns) {
            ArrayNode columns = table.putArray("columnDefinitions");
            column(columns, "Name", "string", "name", "Name must be unique within a namespace.", 0);
            for (PrinterColumn c : type.columns()) {
                column(columns, c.name(), c.type(), "", c.description(), c.priority());
            }
            column(columns, "Age", "string", "", "CreationTimestamp is when this object was created.", 0);
        }
        ArrayNode rows = table.putArray("rows");
        for (ObjectNode item : items) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            cells.add(KubeObjects.name(item));
            for (PrinterColumn c : type.columns()) {
                Object value;
                try {
                    value = c.value().apply(item);
                } catch (RuntimeException e) {
                    value = "<error>";
                }
                if (value instanceof Number n) {
                    cells.add(n.longValue());
                } else {
                    cells.add(value == null ? "<none>" : value.toString());
                }
            }
            cells.add(age(item.path("metadata").path("creationTimestamp").asText("")));
            switch (includeObject) {
                case "None" -> { }
                case "Object" -> row.set("object", versioned(item));
                default -> row.set("object", partial(item));
            }
        }
        return table;
    }

    private static void column(ArrayNode columns, String name, String type, String format, String description, int priority) {
        ObjectNode c = columns.addObject();
        c.put("name", name);
        c.put("type", type);
        c.put("format", format);
        c.put("description", description);
        c.put("priority", priority);
    }

    private String age(String created) {
        if (created.isEmpty()) {
            return "<unknown>";
        }
        try {
            return humanDuration(Duration.between(Instant.parse(created), now));
        } catch (DateTimeParseException e) {
            return "<unknown>";
        }
    }

    /** The short ages kubectl prints (5s, 3m20s, 2h, 4d ...). */
    static String humanDuration(Duration d) {
        long seconds = Math.max(0, d.getSeconds());
        if (seconds < 120) {
            return seconds + "s";
        }
        long minutes = seconds / 60;
        if (minutes < 10) {
            long s = seconds % 60;
            return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
        }
        if (minutes < 180) {
            return minutes + "m";
        }
        long hours = minutes / 60;
        if (hours < 8) {
            long m = minutes % 60;
            return m == 0 ? hours + "h" : hours + "h" + m + "m";
        }
        if (hours < 48) {
            return hours + "h";
        }
        if (hours < 24 * 8) {
            long h = hours % 24;
            return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
        }
        if (hours < 24 * 365 * 2) {
            return hours / 24 + "d";
        }
        if (hours < 24 * 365 * 8) {
            long days = hours / 24;
            return days / 365 + "y" + days % 365 + "d";
        }
        return hours / 24 / 365 + "y";
    }
}
