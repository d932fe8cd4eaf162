package io.kedge.common.kubeapi.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.ResourceType;

/**
 * A PATCH request's body and flavour. Kept as data (not as a function) so that a store which
 * forwards writes elsewhere can send it on as it came; local stores call {@link #apply}.
 */
public record Patch(PatchType type, JsonNode body) {

    public Patch {
        if (type == null || body == null) {
            throw new IllegalArgumentException("a patch needs a type and a body");
        }
    }

    /** Server-side apply creates the object when it does not exist; the other flavours need it. */
    public boolean createsWhenAbsent() {
        return type == PatchType.APPLY;
    }

    /**
     * The patched object. {@code current} is not modified. Server-side apply is approximated without
     * managed fields: the applied configuration is merged into the live object (strategic merge for
     * built-in kinds, JSON merge otherwise), so it adds and changes fields but never removes any.
     */
    public ObjectNode apply(ObjectNode current, ResourceType resource) {
        JsonNode result = switch (type) {
            case JSON -> JsonPatch.apply(current.deepCopy(), body);
            case MERGE -> {
                requireObject();
                yield JsonMergePatch.apply(current, body);
            }
            case STRATEGIC -> {
                if (!resource.strategicMerge()) {
                    throw ApiException.unsupportedMediaType("the body of the request was in an unknown format - accepted media types "
                            + "include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml "
                            + "(strategic merge patch is not supported for " + resource.groupResource() + ")");
                }
                requireObject();
                yield StrategicMergePatch.apply(current, body, resource.patchSchema());
            }
            case APPLY -> {
                requireObject();
                yield resource.strategicMerge() ? StrategicMergePatch.apply(current, body, resource.patchSchema())
                        : JsonMergePatch.apply(current, body);
            }
        };
        if (!result.isObject()) {
            throw new ApiException(422, "Invalid", "the patch did not produce an object");
        }
        return (ObjectNode) result;
    }

    private void requireObject() {
        if (!body.isObject()) {
            throw ApiException.badRequest("a " + type.contentType() + " body must be a JSON object");
        }
    }
}
