package io.kedge.cloud.sync;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The objects to sync, indexed so that a node's share is found without scanning everything: by UID,
 * by kind, by {@code kind/namespace/name}, and pods and devices by the node they are bound to. With
 * thousands of nodes (each a Node object) a per-node scan of all objects would make every reconcile
 * quadratic.
 */
final class DesiredObjects {
    private final Map<String, SyncItem> byUid = new HashMap<>();
    private final Map<String, Map<String, SyncItem>> byKind = new LinkedHashMap<>();
    private final Map<String, SyncItem> byKey = new HashMap<>();
    /** Per kind (pod, device), per node: the objects bound to it. */
    private final Map<String, Map<String, Map<String, SyncItem>>> boundByNode = new HashMap<>();

    static String key(String kind, String namespace, String name) {
        return kind + "/" + namespace + "/" + name;
    }

    void put(SyncItem item) {
        remove(item.uid());
        byUid.put(item.uid(), item);
        byKind.computeIfAbsent(item.kubeEdgeType(), k -> new LinkedHashMap<>()).put(item.uid(), item);
        byKey.put(key(item.kubeEdgeType(), item.namespace(), item.name()), item);
        String node = boundNode(item);
        if (node != null) {
            boundByNode.computeIfAbsent(item.kubeEdgeType(), k -> new HashMap<>()).computeIfAbsent(node, n -> new LinkedHashMap<>())
                    .put(item.uid(), item);
        }
    }

    void remove(String uid) {
        SyncItem old = byUid.remove(uid);
        if (old == null) {
            return;
        }
        Map<String, SyncItem> kind = byKind.get(old.kubeEdgeType());
        if (kind != null) {
            kind.remove(uid);
        }
        byKey.remove(key(old.kubeEdgeType(), old.namespace(), old.name()), old);
        String node = boundNode(old);
        Map<String, Map<String, SyncItem>> byNode = node == null ? null : boundByNode.get(old.kubeEdgeType());
        Map<String, SyncItem> bound = byNode == null ? null : byNode.get(node);
        if (bound != null) {
            bound.remove(uid);
            if (bound.isEmpty()) {
                byNode.remove(node);
            }
        }
    }

    boolean contains(String uid) {
        return byUid.containsKey(uid);
    }

    SyncItem get(String uid) {
        return byUid.get(uid);
    }

    Collection<SyncItem> ofKind(String kind) {
        Map<String, SyncItem> m = byKind.get(kind);
        return m == null ? List.of() : m.values();
    }

    Set<String> kinds() {
        return byKind.keySet();
    }

    SyncItem byKey(String kind, String namespace, String name) {
        return byKey.get(key(kind, namespace, name));
    }

    Collection<SyncItem> podsOn(String node) {
        return boundOn("pod", node);
    }

    Collection<SyncItem> devicesOn(String node) {
        return boundOn("device", node);
    }

    private Collection<SyncItem> boundOn(String kind, String node) {
        Map<String, Map<String, SyncItem>> byNode = boundByNode.get(kind);
        Map<String, SyncItem> m = byNode == null ? null : byNode.get(node);
        return m == null ? List.of() : m.values();
    }

    /** The node a pod or device is bound to (null for other kinds and unbound ones). */
    static String boundNode(SyncItem item) {
        String n = switch (item.kubeEdgeType()) {
            case "pod" -> item.body().path("spec").path("nodeName").asText("");
            case "device" -> deviceNode(item.body());
            default -> "";
        };
        return n.isEmpty() ? null : n;
    }

    /**
     * A Device's node: {@code spec.nodeName} (devices.kubeedge.io v1beta1), else, as KubeEdge's older
     * v1alpha2 did, the first value of the first match expression of {@code spec.nodeSelector}.
     */
    static String deviceNode(JsonNode device) {
        JsonNode spec = device.path("spec");
        String name = spec.path("nodeName").asText("");
        if (!name.isEmpty()) {
            return name;
        }
        for (JsonNode term : spec.path("nodeSelector").path("nodeSelectorTerms")) {
            for (JsonNode expr : term.path("matchExpressions")) {
                String v = expr.path("values").path(0).asText("");
                if (!v.isEmpty()) {
                    return v;
                }
            }
        }
        return "";
    }

    /** The DeviceModel a device uses, as {@code devicemodel/<namespace>/<name>} (a local reference: same namespace). */
    static String modelKey(SyncItem device) {
        String model = device.body().path("spec").path("deviceModelRef").path("name").asText("");
        return model.isEmpty() ? null : key("devicemodel", device.namespace(), model);
    }
}
