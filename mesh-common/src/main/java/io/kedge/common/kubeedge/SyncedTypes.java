package io.kedge.common.kubeedge;

import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.ResourceType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kinds the cloud sends to edge nodes, and the KubeEdge type name each travels under in resource
 * paths ({@code default/service/web}). Both ends use this one table, so a kind is either synced under
 * one name or not at all.
 */
public final class SyncedTypes {
    private static final Map<String, ResourceType> BY_NAME = new LinkedHashMap<>();

    static {
        BY_NAME.put("namespace", BuiltinTypes.NAMESPACES);
        BY_NAME.put("service", BuiltinTypes.SERVICES);
        BY_NAME.put("endpoints", BuiltinTypes.ENDPOINTS);
        BY_NAME.put("endpointslice", BuiltinTypes.ENDPOINT_SLICES);
        BY_NAME.put("pod", BuiltinTypes.PODS);
        BY_NAME.put("node", BuiltinTypes.NODES);
        BY_NAME.put("configmap", BuiltinTypes.CONFIGMAPS);
        BY_NAME.put("secret", BuiltinTypes.SECRETS);
        BY_NAME.put("device", BuiltinTypes.DEVICES);
        BY_NAME.put("devicemodel", BuiltinTypes.DEVICE_MODELS);
        BY_NAME.put("destinationrule", BuiltinTypes.DESTINATION_RULES);
    }

    private SyncedTypes() {
    }

    /** The type a KubeEdge type name stands for. */
    public static Optional<ResourceType> byName(String kubeEdgeType) {
        return Optional.ofNullable(BY_NAME.get(kubeEdgeType));
    }

    /** The KubeEdge type name of {@code type} (by group and plural, so any served version maps). */
    public static Optional<String> nameOf(ResourceType type) {
        for (Map.Entry<String, ResourceType> e : BY_NAME.entrySet()) {
            if (e.getValue().groupResource().equals(type.groupResource())) {
                return Optional.of(e.getKey());
            }
        }
        return Optional.empty();
    }

    public static List<ResourceType> all() {
        return List.copyOf(BY_NAME.values());
    }
}
