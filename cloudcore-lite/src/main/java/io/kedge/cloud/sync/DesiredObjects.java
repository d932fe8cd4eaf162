package io.kedge.cloud.sync;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The objects to sync, indexed so that a node's share is found without scanning everything: by UID,
 * by kind, by {@code kind/namespace/name}, and pods by the node they are bound to. With thousands of
 * nodes (each a Node object) a per-node scan of all objects would make every reconcile quadratic.
 */
final class DesiredObjects {
    private final Map<String, SyncItem> byUid = new HashMap<>();
    private final Map<String, Map<String, SyncItem>> byKind = new LinkedHashMap<>();
    private final Map<String, SyncItem> byKey = new HashMap<>();
    private final Map<String, Map<String, SyncItem>> podsByNode = new HashMap<>();

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
            podsByNode.computeIfAbsent(node, n -> new LinkedHashMap<>()).put(item.uid(), item);
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
        if (node != null) {
            Map<String, SyncItem> pods = podsByNode.get(node);
            if (pods != null) {
                pods.remove(uid);
                if (pods.isEmpty()) {
                    podsByNode.remove(node);
                }
            }
        }
    }

    boolean contains(String uid) {
        return byUid.containsKey(uid);
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
        Map<String, SyncItem> m = podsByNode.get(node);
        return m == null ? List.of() : m.values();
    }

    static String boundNode(SyncItem item) {
        if (!item.kubeEdgeType().equals("pod")) {
            return null;
        }
        String n = item.body().path("spec").path("nodeName").asText("");
        return n.isEmpty() ? null : n;
    }
}
