package io.kedge.common.kubeapi;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** Reading and writing the parts of Kubernetes objects every layer needs, and the shared JSON mapper. */
public final class KubeObjects {
    /**
     * Duplicate keys are an error (Kubernetes' strict decoding rejects them too), and nesting is
     * bounded so that a hostile body cannot exhaust the stack.
     */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build());
    }

    private KubeObjects() {
    }

    public static ObjectNode metadata(ObjectNode object) {
        JsonNode m = object.get("metadata");
        if (m instanceof ObjectNode meta) {
            return meta;
        }
        return object.putObject("metadata");
    }

    public static String name(JsonNode object) {
        return text(object.path("metadata").get("name"));
    }

    public static String namespace(JsonNode object) {
        return text(object.path("metadata").get("namespace"));
    }

    public static String resourceVersion(JsonNode object) {
        return text(object.path("metadata").get("resourceVersion"));
    }

    public static String uid(JsonNode object) {
        return text(object.path("metadata").get("uid"));
    }

    /** {@code metadata.labels}, or a missing node. */
    public static JsonNode labels(JsonNode object) {
        return object.path("metadata").path("labels");
    }

    public static String label(JsonNode object, String key) {
        return text(labels(object).get(key));
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() || !node.isValueNode() ? null : node.asText();
    }

    /** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
    public static String timestamp(Instant at) {
        return DateTimeFormatter.ISO_INSTANT.format(at.truncatedTo(ChronoUnit.SECONDS));
    }

    /** Parses a resourceVersion: null for null or empty, else the number; a 400 for anything else. */
    public static Long parseResourceVersion(String text) {
        return parseCount(text, "resourceVersion");
    }

    /** Parses a non-negative integer parameter named {@code name}: null for null or empty; a 400 otherwise. */
    public static Long parseCount(String text, String name) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            long v = Long.parseLong(text);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid " + name + " \"" + text + "\": expected a non-negative integer");
        }
    }
}
