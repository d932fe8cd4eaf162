package io.kedge.common.kubeapi;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Function;

/**
 * One column of {@code kubectl get} output for a resource (served in {@code Table} answers). Name and
 * Age are added by the server; types add what {@code kubectl get} shows for them in Kubernetes.
 * {@code value} receives the whole object and returns a String, a Number or null.
 */
public record PrinterColumn(String name, String type, String description, int priority, Function<JsonNode, Object> value) {

    /** A column holding the text at a dotted path ({@code spec.nodeName}), or {@code <none>}. */
    public static PrinterColumn path(String name, String dottedPath) {
        String[] parts = dottedPath.split("\\.");
        return new PrinterColumn(name, "string", "the value of " + dottedPath, 0, object -> {
            JsonNode node = object;
            for (String part : parts) {
                node = node.path(part);
            }
            return node.isMissingNode() || node.isNull() ? "<none>" : node.isValueNode() ? node.asText() : node.toString();
        });
    }

    public static PrinterColumn of(String name, String type, Function<JsonNode, Object> value) {
        return new PrinterColumn(name, type, name, 0, value);
    }

    /** A column shown only with {@code -o wide}. */
    public PrinterColumn wide() {
        return new PrinterColumn(name, type, description, 1, value);
    }
}
