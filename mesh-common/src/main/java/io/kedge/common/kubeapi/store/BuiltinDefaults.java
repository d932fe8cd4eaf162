package io.kedge.common.kubeapi.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.GroupResource;
import io.kedge.common.kubeapi.ResourceStore;
import io.kedge.common.kubeapi.ResourceType;

/**
 * The defaults Kubernetes fills into built-in kinds that readers rely on: a Service's type,
 * session affinity, port protocol and targetPort; a container port's protocol; a new Pod's phase;
 * the protocol of EndpointSlice and Endpoints ports.
 */
public final class BuiltinDefaults implements Admission {
    public static final BuiltinDefaults INSTANCE = new BuiltinDefaults();

    private BuiltinDefaults() {
    }

    @Override
    public void admit(ResourceType type, ObjectNode object, ObjectNode stored, ResourceStore store) {
        GroupResource resource = type.groupResource();
        if (resource.equals(BuiltinTypes.SERVICES.groupResource())) {
            service(object);
        } else if (resource.equals(BuiltinTypes.PODS.groupResource())) {
            pod(object, stored);
        } else if (resource.equals(BuiltinTypes.ENDPOINT_SLICES.groupResource())) {
            object.path("ports").forEach(BuiltinDefaults::protocol);
        } else if (resource.equals(BuiltinTypes.ENDPOINTS.groupResource())) {
            object.path("subsets").forEach(s -> s.path("ports").forEach(BuiltinDefaults::protocol));
        }
    }

    private static void service(ObjectNode svc) {
        if (!(svc.get("spec") instanceof ObjectNode spec)) {
            return;
        }
        String type = text(spec, "type", "ClusterIP");
        spec.put("type", type);
        if (type.equals("ExternalName")) {
            return;
        }
        spec.put("sessionAffinity", text(spec, "sessionAffinity", "None"));
        for (JsonNode p : spec.path("ports")) {
            if (p instanceof ObjectNode port) {
                protocol(port);
                if (!port.hasNonNull("targetPort") && port.hasNonNull("port")) {
                    port.set("targetPort", port.get("port"));
                }
            }
        }
    }

    private static void pod(ObjectNode pod, ObjectNode stored) {
        if (pod.get("spec") instanceof ObjectNode spec) {
            for (String list : new String[] {"containers", "initContainers"}) {
                spec.path(list).forEach(c -> c.path("ports").forEach(BuiltinDefaults::protocol));
            }
        }
        if (stored == null) {
            ObjectNode status = pod.get("status") instanceof ObjectNode s ? s : pod.putObject("status");
            if (!status.hasNonNull("phase")) {
                status.put("phase", "Pending");
            }
        }
    }

    private static void protocol(JsonNode port) {
        if (port instanceof ObjectNode p && !p.hasNonNull("protocol")) {
            p.put("protocol", "TCP");
        }
    }

    private static String text(ObjectNode node, String field, String fallback) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || v.asText().isEmpty() ? fallback : v.asText();
    }
}
