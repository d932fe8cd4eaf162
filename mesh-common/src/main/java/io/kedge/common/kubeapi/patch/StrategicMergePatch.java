package io.kedge.common.kubeapi.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kubernetes strategic merge patch, server side: like a JSON merge patch, except that lists the
 * {@link PatchSchema} names merge element by element (by merge key, or as sets of scalars), and
 * that the patch may carry the directives {@code kubectl apply} and {@code kubectl patch} produce:
 * <ul>
 *   <li>{@code $patch: replace | delete} in a map or a list element;</li>
 *   <li>{@code $retainKeys: [...]}: keys of the original map not listed are cleared;</li>
 *   <li>{@code $setElementOrder/<list>: [...]}: the order of the merged list;</li>
 *   <li>{@code $deleteFromPrimitiveList/<list>: [...]}: values removed from a set of scalars.</li>
 * </ul>
 * Ordering follows Kubernetes: the order given by the patch (or $setElementOrder) wins for the
 * elements it names; elements only the server has keep their place relative to the live list.
 */
public final class StrategicMergePatch {
    private static final String DIRECTIVE = "$patch";
    private static final String RETAIN_KEYS = "$retainKeys";
    private static final String SET_ORDER = "$setElementOrder/";
    private static final String DELETE_FROM_LIST = "$deleteFromPrimitiveList/";

    private StrategicMergePatch() {
    }

    /** The result of applying {@code patch} to {@code original}; neither argument is modified. */
    public static ObjectNode apply(ObjectNode original, JsonNode patch, PatchSchema schema) {
        if (!patch.isObject()) {
            throw ApiException.badRequest("a strategic merge patch must be a JSON object");
        }
        return mergeMap(original.deepCopy(), ((ObjectNode) patch).deepCopy(), "", schema);
    }

    private static ObjectNode mergeMap(ObjectNode original, ObjectNode patch, String path, PatchSchema schema) {
        JsonNode directive = patch.remove(DIRECTIVE);
        if (directive != null) {
            switch (directive.asText()) {
                case "replace":
                    return fresh(patch, path, schema);
                case "delete":
                    return JsonNodeFactory.instance.objectNode();
                case "merge":
                    break;
                default:
                    throw bad(path, "unknown $patch directive \"" + directive.asText() + "\"");
            }
        }
        if (original == null) {
            original = JsonNodeFactory.instance.objectNode();
        }
        retainKeys(original, patch, path);
        applyElementOrders(original, patch, path, schema);

        for (Map.Entry<String, JsonNode> entry : patch.properties()) {
            String key = entry.getKey();
            JsonNode value = entry.getValue();
            if (key.startsWith(DELETE_FROM_LIST)) {
                deleteFromScalars(original, key.substring(DELETE_FROM_LIST.length()), value, path);
                continue;
            }
            if (key.startsWith("$")) {
                throw bad(path, "unknown directive \"" + key + "\"");
            }
            if (value.isNull()) {
                original.remove(key);
                continue;
            }
            String childPath = PatchSchema.child(path, key);
            JsonNode current = original.get(key);
            if (current == null || current.isNull() || current.getNodeType() != value.getNodeType()) {
                original.set(key, fresh(value, childPath, schema));
            } else if (value.isObject()) {
                original.set(key, mergeMap((ObjectNode) current, (ObjectNode) value, childPath, schema));
            } else if (value.isArray()) {
                PatchSchema.Field field = schema.field(childPath);
                original.set(key, field != null && field.mergeList()
                        ? mergeList((ArrayNode) current, (ArrayNode) value, field, childPath, schema)
                        : fresh(value, childPath, schema));
            } else {
                original.set(key, value);
            }
        }
        return original;
    }

    /** A patch value with nothing to merge into: directives are resolved against an empty original. */
    private static <T extends JsonNode> T fresh(T value, String path, PatchSchema schema) {
        if (value.isObject()) {
            @SuppressWarnings("unchecked")
            T merged = (T) mergeMap(null, (ObjectNode) value, path, schema);
            return merged;
        }
        if (value.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (JsonNode element : value) {
                if (element.isObject() && "delete".equals(element.path(DIRECTIVE).asText(null))) {
                    continue;
                }
                out.add(fresh(element, PatchSchema.element(path), schema));
            }
            @SuppressWarnings("unchecked")
            T result = (T) out;
            return result;
        }
        return value;
    }

    private static void retainKeys(ObjectNode original, ObjectNode patch, String path) {
        JsonNode retain = patch.remove(RETAIN_KEYS);
        if (retain == null) {
            return;
        }
        if (!retain.isArray()) {
            throw bad(path, "$retainKeys must be a list of keys");
        }
        Set<String> keep = new HashSet<>();
        retain.forEach(k -> keep.add(k.asText()));
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            if (!e.getValue().isNull() && !e.getKey().startsWith("$") && !keep.contains(e.getKey())) {
                throw bad(path, "key \"" + e.getKey() + "\" is set by the patch but missing from $retainKeys");
            }
        }
        original.retain(keep);
    }

    /** Handles every {@code $setElementOrder/<list>} of this map, merging the list it names. */
    private static void applyElementOrders(ObjectNode original, ObjectNode patch, String path, PatchSchema schema) {
        List<String> orderKeys = new ArrayList<>();
        patch.fieldNames().forEachRemaining(k -> {
            if (k.startsWith(SET_ORDER)) {
                orderKeys.add(k);
            }
        });
        for (String orderKey : orderKeys) {
            JsonNode order = patch.remove(orderKey);
            String listKey = orderKey.substring(SET_ORDER.length());
            if (!order.isArray()) {
                throw bad(path, orderKey + " must be a list");
            }
            String listPath = PatchSchema.child(path, listKey);
            PatchSchema.Field field = schema.field(listPath);
            JsonNode live = original.get(listKey);
            JsonNode patchList = patch.remove(listKey);
            ArrayNode liveList = live != null && live.isArray() ? (ArrayNode) live : JsonNodeFactory.instance.arrayNode();
            ArrayNode merged;
            if (patchList == null || patchList.isNull()) {
                if (patchList != null) {
                    original.remove(listKey);
                    continue;
                }
                if (live == null) {
                    continue;
                }
                merged = liveList;
            } else if (!patchList.isArray()) {
                throw bad(listPath, "expected a list");
            } else if (field == null || !field.mergeList()) {
                merged = fresh((ArrayNode) patchList, listPath, schema);
            } else {
                merged = mergeList(liveList, (ArrayNode) patchList, field, listPath, schema);
            }
            String mergeKey = field == null ? null : field.mergeKey();
            List<JsonNode> named = new ArrayList<>();
            List<JsonNode> serverOnly = new ArrayList<>();
            for (JsonNode element : merged) {
                (indexOf((ArrayNode) order, element, mergeKey) >= 0 ? named : serverOnly).add(element);
            }
            original.set(listKey, ordered(named, serverOnly, (ArrayNode) order, liveList, mergeKey));
        }
    }

    private static ArrayNode mergeList(ArrayNode original, ArrayNode patch, PatchSchema.Field field, String path,
                                       PatchSchema schema) {
        if (original.isEmpty() && patch.isEmpty()) {
            return original;
        }
        String elementPath = PatchSchema.element(path);
        boolean scalars = isScalarList(original) && isScalarList(patch);
        if (scalars) {
            ArrayNode merged = original.deepCopy();
            for (JsonNode v : patch) {
                if (indexOf(merged, v, null) < 0) {
                    merged.add(v);
                }
            }
            return partitionAndOrder(merged, patch, original, null);
        }
        String key = field.mergeKey();
        if (key == null) {
            throw bad(path, "cannot merge a list of objects without a merge key");
        }
        ArrayNode live = original.deepCopy();
        ArrayNode plain = JsonNodeFactory.instance.arrayNode();
        boolean replace = false;
        for (JsonNode element : patch) {
            if (!element.isObject()) {
                throw bad(path, "expected every element to be an object");
            }
            JsonNode directive = element.get(DIRECTIVE);
            if (directive == null) {
                plain.add(element);
                continue;
            }
            switch (directive.asText()) {
                case "delete" -> {
                    JsonNode keyValue = element.get(key);
                    if (keyValue == null) {
                        throw bad(path, "a $patch: delete element needs its merge key \"" + key + "\"");
                    }
                    for (int i = live.size() - 1; i >= 0; i--) {
                        if (keyValue.equals(live.get(i).get(key))) {
                            live.remove(i);
                        }
                    }
                }
                case "replace" -> replace = true;
                default -> throw bad(path, "unsupported $patch directive \"" + directive.asText() + "\" in a list");
            }
        }
        if (replace) {
            return fresh(plain, path, schema);
        }
        ArrayNode merged = live.deepCopy();
        for (JsonNode element : plain) {
            JsonNode keyValue = element.get(key);
            if (keyValue == null) {
                throw bad(path, "element has no merge key \"" + key + "\": " + element);
            }
            int at = indexOf(merged, element, key);
            if (at >= 0) {
                merged.set(at, mergeMap((ObjectNode) merged.get(at), ((ObjectNode) element).deepCopy(), elementPath, schema));
            } else {
                merged.add(mergeMap(null, ((ObjectNode) element).deepCopy(), elementPath, schema));
            }
        }
        return partitionAndOrder(merged, plain, live, key);
    }

    private static ArrayNode partitionAndOrder(ArrayNode merged, ArrayNode patchOrder, ArrayNode serverOrder, String key) {
        List<JsonNode> fromPatch = new ArrayList<>();
        List<JsonNode> serverOnly = new ArrayList<>();
        for (JsonNode element : merged) {
            (indexOf(patchOrder, element, key) >= 0 ? fromPatch : serverOnly).add(element);
        }
        return ordered(fromPatch, serverOnly, patchOrder, serverOrder, key);
    }

    /**
     * Sorts the patch's elements by the patch's order and the server-only ones by the live order,
     * then interleaves them: a server-only element goes before a patch element only when both are
     * in the live list and it came first there.
     */
    private static ArrayNode ordered(List<JsonNode> fromPatch, List<JsonNode> serverOnly, ArrayNode patchOrder,
                                     ArrayNode serverOrder, String key) {
        fromPatch.sort(Comparator.comparingInt(e -> indexOf(patchOrder, e, key)));
        serverOnly.sort(Comparator.comparingInt(e -> indexOf(serverOrder, e, key)));
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        int i = 0;
        int j = 0;
        while (i < serverOnly.size() || j < fromPatch.size()) {
            if (j >= fromPatch.size()) {
                out.add(serverOnly.get(i++));
            } else if (i >= serverOnly.size()) {
                out.add(fromPatch.get(j++));
            } else {
                int left = indexOf(serverOrder, serverOnly.get(i), key);
                int right = indexOf(serverOrder, fromPatch.get(j), key);
                if (left >= 0 && right >= 0 && left < right) {
                    out.add(serverOnly.get(i++));
                } else {
                    out.add(fromPatch.get(j++));
                }
            }
        }
        return out;
    }

    private static void deleteFromScalars(ObjectNode original, String listKey, JsonNode values, String path) {
        if (!values.isArray()) {
            throw bad(path, DELETE_FROM_LIST + listKey + " must be a list");
        }
        JsonNode live = original.get(listKey);
        if (live == null || !live.isArray()) {
            return;
        }
        ArrayNode kept = JsonNodeFactory.instance.arrayNode();
        for (JsonNode v : live) {
            if (indexOf((ArrayNode) values, v, null) < 0) {
                kept.add(v);
            }
        }
        original.set(listKey, kept);
    }

    /** Position of {@code element} in {@code list}: by merge key for objects, by value for scalars; -1 if absent. */
    private static int indexOf(ArrayNode list, JsonNode element, String key) {
        JsonNode wanted = key == null ? element : element.get(key);
        if (wanted == null) {
            return -1;
        }
        for (int i = 0; i < list.size(); i++) {
            JsonNode candidate = key == null ? list.get(i) : list.get(i).get(key);
            if (wanted.equals(candidate)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isScalarList(ArrayNode list) {
        for (JsonNode e : list) {
            if (e.isContainerNode()) {
                return false;
            }
        }
        return true;
    }

    private static ApiException bad(String path, String message) {
        return ApiException.badRequest("strategic merge patch" + (path.isEmpty() ? "" : " at " + path) + ": " + message);
    }
}
