package io.kedge.common.kubeapi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A request failed the way the Kubernetes API reports failures: an HTTP code, a machine-readable
 * {@code reason} and a {@code Status} object ({@link #toStatus()}) that clients such as kubectl and
 * fabric8 turn into their own typed errors (IsNotFound, IsConflict, IsGone ...).
 */
public class ApiException extends RuntimeException {
    private final int code;
    private final String reason;
    private final String detailsGroup;
    private final String detailsKind;
    private final String name;
    private final List<Cause> causes;

    /** One field-level problem of an {@code Invalid} or {@code BadRequest} answer. */
    public record Cause(String reason, String message, String field) {
    }

    public ApiException(int code, String reason, String message) {
        this(code, reason, message, null, null, List.of());
    }

    /** {@code resource} and {@code name} fill the Status {@code details}; either may be null. */
    public ApiException(int code, String reason, String message, GroupResource resource, String name, List<Cause> causes) {
        this(code, reason, message, resource == null ? null : resource.group(), resource == null ? null : resource.resource(),
                name, causes);
    }

    private ApiException(int code, String reason, String message, String detailsGroup, String detailsKind, String name,
                         List<Cause> causes) {
        super(message);
        this.code = code;
        this.reason = reason;
        this.detailsGroup = detailsGroup;
        this.detailsKind = detailsKind;
        this.name = name;
        this.causes = causes == null ? List.of() : List.copyOf(causes);
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }

    public List<Cause> causes() {
        return causes;
    }

    /** The {@code Status} object (apiVersion v1) describing this failure. */
    public ObjectNode toStatus() {
        ObjectNode status = JsonNodeFactory.instance.objectNode();
        status.put("kind", "Status");
        status.put("apiVersion", "v1");
        status.putObject("metadata");
        status.put("status", "Failure");
        status.put("message", getMessage());
        status.put("reason", reason);
        if (detailsKind != null || name != null || !causes.isEmpty()) {
            ObjectNode details = status.putObject("details");
            if (name != null) {
                details.put("name", name);
            }
            if (detailsGroup != null && !detailsGroup.isEmpty()) {
                details.put("group", detailsGroup);
            }
            if (detailsKind != null) {
                details.put("kind", detailsKind);
            }
            if (!causes.isEmpty()) {
                ArrayNode list = details.putArray("causes");
                for (Cause c : causes) {
                    ObjectNode n = list.addObject();
                    n.put("reason", c.reason());
                    n.put("message", c.message());
                    if (c.field() != null) {
                        n.put("field", c.field());
                    }
                }
            }
        }
        status.put("code", code);
        return status;
    }

    public static ApiException notFound(GroupResource resource, String name) {
        return new ApiException(404, "NotFound", resource + " \"" + name + "\" not found", resource, name, null);
    }

    public static ApiException alreadyExists(GroupResource resource, String name) {
        return new ApiException(409, "AlreadyExists", resource + " \"" + name + "\" already exists", resource, name, null);
    }

    /** A write based on a stale resourceVersion (or a failed precondition). */
    public static ApiException conflict(GroupResource resource, String name, String why) {
        return new ApiException(409, "Conflict", "Operation cannot be fulfilled on " + resource + " \"" + name + "\": " + why,
                resource, name, null);
    }

    /** The requested resourceVersion is older than what the event window still holds. */
    public static ApiException gone(String message) {
        return new ApiException(410, "Expired", message);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "BadRequest", message);
    }

    /** The object is well-formed but breaks a rule (name syntax, label syntax ...): 422. */
    public static ApiException invalid(String group, String kind, String name, List<Cause> causes) {
        StringBuilder sb = new StringBuilder().append(kind).append(" \"").append(name).append("\" is invalid: ");
        for (int i = 0; i < causes.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            Cause c = causes.get(i);
            sb.append(c.field() == null ? "" : c.field() + ": ").append(c.message());
        }
        return new ApiException(422, "Invalid", sb.toString(), group, kind, name, causes);
    }

    public static ApiException methodNotAllowed(String message) {
        return new ApiException(405, "MethodNotAllowed", message);
    }

    public static ApiException unsupportedMediaType(String message) {
        return new ApiException(415, "UnsupportedMediaType", message);
    }

    public static ApiException notAcceptable(String message) {
        return new ApiException(406, "NotAcceptable", message);
    }

    public static ApiException tooLarge(String message) {
        return new ApiException(413, "RequestEntityTooLarge", message);
    }

    public static ApiException unauthorized() {
        return new ApiException(401, "Unauthorized", "Unauthorized");
    }

    public static ApiException forbidden(GroupResource resource, String name, String why) {
        return new ApiException(403, "Forbidden", resource + " \"" + name + "\" is forbidden: " + why, resource, name, null);
    }

    public static ApiException internal(String message) {
        return new ApiException(500, "InternalError", "Internal error occurred: " + message);
    }

    public static ApiException serviceUnavailable(String message) {
        return new ApiException(503, "ServiceUnavailable", message);
    }

    /** A list or watch asked for a resourceVersion this store has not reached yet. */
    public static ApiException resourceVersionTooLarge(long requested, long current) {
        return new ApiException(504, "Timeout", "Too large resource version: " + requested + ", current: " + current,
                null, null, List.of(new Cause("ResourceVersionTooLarge", "Too large resource version", null)));
    }
}
