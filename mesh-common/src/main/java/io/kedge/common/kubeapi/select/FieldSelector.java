package io.kedge.common.kubeapi.select;

import com.fasterxml.jackson.databind.JsonNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.ResourceType;
import java.util.ArrayList;
import java.util.List;

/**
 * A Kubernetes field selector ({@code ?fieldSelector=spec.nodeName=n1,metadata.name!=x}): equality
 * and inequality on the fields a resource type declares selectable (metadata.name and
 * metadata.namespace for every type). A missing field reads as the empty string, as in Kubernetes.
 */
public final class FieldSelector {
    public static final FieldSelector EVERYTHING = new FieldSelector(List.of());

    /** One term: {@code field=value} or {@code field!=value}. */
    public record Term(String field, boolean equal, String value) {
        boolean matches(JsonNode object) {
            return equal == value.equals(read(object, field));
        }
    }

    private final List<Term> terms;

    private FieldSelector(List<Term> terms) {
        this.terms = List.copyOf(terms);
    }

    public List<Term> terms() {
        return terms;
    }

    public boolean isEmpty() {
        return terms.isEmpty();
    }

    public boolean matches(JsonNode object) {
        for (Term t : terms) {
            if (!t.matches(object)) {
                return false;
            }
        }
        return true;
    }

    /** The text at a dotted path, "" when absent. */
    public static String read(JsonNode object, String dottedPath) {
        JsonNode node = object;
        for (String part : dottedPath.split("\\.")) {
            node = node.path(part);
        }
        return node.isValueNode() ? node.asText() : "";
    }

    /** Parses {@code text} for {@code type}; unknown fields and bad syntax are 400s. */
    public static FieldSelector parse(String text, ResourceType type) {
        if (text == null || text.isBlank()) {
            return EVERYTHING;
        }
        List<Term> terms = new ArrayList<>();
        for (String part : splitUnescaped(text, ',')) {
            String trimmed = part.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            int at;
            boolean equal;
            int opLength;
            if ((at = indexUnescaped(trimmed, "!=")) >= 0) {
                equal = false;
                opLength = 2;
            } else if ((at = indexUnescaped(trimmed, "==")) >= 0) {
                equal = true;
                opLength = 2;
            } else if ((at = indexUnescaped(trimmed, "=")) >= 0) {
                equal = true;
                opLength = 1;
            } else {
                throw ApiException.badRequest("invalid fieldSelector \"" + text + "\": \"" + trimmed + "\" has no operator (=, ==, !=)");
            }
            String field = trimmed.substring(0, at).trim();
            String value = unescape(trimmed.substring(at + opLength).trim());
            if (!type.selectable(field)) {
                throw ApiException.badRequest("field label not supported: " + field);
            }
            terms.add(new Term(field, equal, value));
        }
        return new FieldSelector(terms);
    }

    private static List<String> splitUnescaped(String s, char sep) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                cur.append(c).append(s.charAt(++i));
            } else if (c == sep) {
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        parts.add(cur.toString());
        return parts;
    }

    private static int indexUnescaped(String s, String op) {
        for (int i = 0; i + op.length() <= s.length(); i++) {
            if (s.charAt(i) == '\\') {
                i++;
                continue;
            }
            if (s.startsWith(op, i)) {
                return i;
            }
        }
        return -1;
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                out.append(s.charAt(++i));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
