package io.kedge.common.kubeapi.patch;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.zjsonpatch.JsonPatchException;
import io.kedge.common.kubeapi.ApiException;
import io.fabric8.zjsonpatch.CompatibilityFlags;
import java.util.EnumSet;
import java.util.Set;

/**
 * RFC 6902 JSON patch (add, remove, replace, move, copy, test), applied with zjsonpatch. A patch
 * that is not a list of well-formed operations is a 400; one that cannot be applied to this object
 * (missing path, failed test) is a 422, as in Kubernetes.
 */
public final class JsonPatch {
    private static final Set<String> OPS = Set.of("add", "remove", "replace", "move", "copy", "test");

    private JsonPatch() {
    }

    public static JsonNode apply(JsonNode target, JsonNode patch) {
        validate(patch);
        try {
            // Removing what is not there is an error, as in RFC 6902 and Kubernetes.
            return io.fabric8.zjsonpatch.JsonPatch.apply(patch, target, EnumSet.of(CompatibilityFlags.FORBID_REMOVE_MISSING_OBJECT));
        } catch (JsonPatchException | IllegalArgumentException e) {
            throw new ApiException(422, "Invalid", "the JSON patch cannot be applied: " + e.getMessage());
        }
    }

    private static void validate(JsonNode patch) {
        if (!patch.isArray()) {
            throw ApiException.badRequest("a JSON patch must be a list of operations");
        }
        for (int i = 0; i < patch.size(); i++) {
            JsonNode op = patch.get(i);
            String where = "JSON patch operation " + i;
            if (!op.isObject() || !op.path("op").isTextual() || !OPS.contains(op.path("op").asText())) {
                throw ApiException.badRequest(where + ": \"op\" must be one of add, remove, replace, move, copy, test");
            }
            if (!op.path("path").isTextual()) {
                throw ApiException.badRequest(where + ": \"path\" must be a JSON pointer string");
            }
            String name = op.get("op").asText();
            if ((name.equals("add") || name.equals("replace") || name.equals("test")) && !op.has("value")) {
                throw ApiException.badRequest(where + ": \"" + name + "\" needs a \"value\"");
            }
            if ((name.equals("move") || name.equals("copy")) && !op.path("from").isTextual()) {
                throw ApiException.badRequest(where + ": \"" + name + "\" needs a \"from\" pointer");
            }
        }
    }
}
