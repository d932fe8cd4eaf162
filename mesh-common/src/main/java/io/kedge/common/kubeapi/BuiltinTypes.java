package io.kedge.common.kubeapi;

import com.fasterxml.jackson.databind.JsonNode;
import io.kedge.common.kubeapi.patch.PatchSchema;
import java.util.ArrayList;
import java.util.List;

/**
 * The kinds Kedge serves: the core kinds the mesh and edge need, EndpointSlices, KubeEdge's Devices
 * and DeviceModels, and Istio's DestinationRule (mesh-agent reads its load-balancing policy). Names,
 * short names, scopes, status subresources, selectable fields, printer columns and merge keys are
 * those of Kubernetes 1.32 / KubeEdge 1.20 / Istio 1.2x, so that kubectl and client libraries see
 * what they expect.
 */
public final class BuiltinTypes {
    private BuiltinTypes() {
    }

    /** Container fields that merge by key (containers, initContainers, ephemeralContainers alike). */
    private static final PatchSchema CONTAINER = PatchSchema.builder()
            .mergeList("ports", "containerPort")
            .mergeList("env", "name")
            .mergeList("volumeMounts", "mountPath")
            .mergeList("volumeDevices", "devicePath")
            .build();

    static final PatchSchema POD_SPEC = PatchSchema.builder()
            .mergeList("containers", "name").include("containers[]", CONTAINER)
            .mergeList("initContainers", "name").include("initContainers[]", CONTAINER)
            .mergeList("ephemeralContainers", "name").include("ephemeralContainers[]", CONTAINER)
            .mergeListRetainKeys("volumes", "name")
            .mergeList("imagePullSecrets", "name")
            .mergeList("hostAliases", "ip")
            .mergeList("topologySpreadConstraints", "topologyKey")
            .mergeListRetainKeys("resourceClaims", "name")
            .mergeList("schedulingGates", "name")
            .build();

    private static final PatchSchema POD = PatchSchema.builder()
            .include("", PatchSchema.OBJECT_META)
            .include("spec", POD_SPEC)
            .mergeList("status.conditions", "type")
            .mergeList("status.podIPs", "ip")
            .mergeList("status.hostIPs", "ip")
            .build();

    private static final PatchSchema SERVICE = PatchSchema.builder()
            .include("", PatchSchema.OBJECT_META)
            .mergeList("spec.ports", "port")
            .build();

    private static final PatchSchema NODE = PatchSchema.builder()
            .include("", PatchSchema.OBJECT_META)
            .mergeScalars("spec.podCIDRs")
            .mergeList("status.conditions", "type")
            .mergeList("status.addresses", "type")
            .build();

    public static final ResourceType NAMESPACES = ResourceType.builder("", "v1", "Namespace").plural("namespaces")
            .shortNames("ns").clusterScoped().statusSubresource().selectableFields("status.phase")
            .verbs("create", "delete", "get", "list", "patch", "update", "watch")
            .column(PrinterColumn.path("Status", "status.phase"))
            .strategicMerge(PatchSchema.OBJECT_META).build();

    public static final ResourceType SERVICES = ResourceType.builder("", "v1", "Service").plural("services")
            .shortNames("svc").categories("all").statusSubresource().selectableFields("spec.clusterIP", "spec.type")
            .verbs("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
            .column(PrinterColumn.path("Type", "spec.type"))
            .column(PrinterColumn.path("Cluster-IP", "spec.clusterIP"))
            .column(PrinterColumn.of("External-IP", "string", BuiltinTypes::externalIps))
            .column(PrinterColumn.of("Port(s)", "string", BuiltinTypes::servicePorts))
            .column(PrinterColumn.of("Selector", "string", o -> pairs(o.path("spec").path("selector"))).wide())
            .strategicMerge(SERVICE).build();

    public static final ResourceType ENDPOINTS = ResourceType.builder("", "v1", "Endpoints").plural("endpoints")
            .singular("endpoints").shortNames("ep")
            .column(PrinterColumn.of("Endpoints", "string", BuiltinTypes::endpointsColumn))
            .strategicMerge(PatchSchema.OBJECT_META).build();

    public static final ResourceType PODS = ResourceType.builder("", "v1", "Pod").plural("pods")
            .shortNames("po").categories("all").statusSubresource()
            .selectableFields("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                    "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName")
            .column(PrinterColumn.of("Ready", "string", BuiltinTypes::podReady))
            .column(PrinterColumn.of("Status", "string", BuiltinTypes::podStatus))
            .column(PrinterColumn.of("Restarts", "string", BuiltinTypes::podRestarts))
            .column(PrinterColumn.path("IP", "status.podIP").wide())
            .column(PrinterColumn.path("Node", "spec.nodeName").wide())
            .strategicMerge(POD).build();

    public static final ResourceType NODES = ResourceType.builder("", "v1", "Node").plural("nodes")
            .shortNames("no").clusterScoped().statusSubresource().selectableFields("spec.unschedulable")
            .column(PrinterColumn.of("Status", "string", BuiltinTypes::nodeStatus))
            .column(PrinterColumn.of("Roles", "string", BuiltinTypes::nodeRoles))
            .column(PrinterColumn.path("Version", "status.nodeInfo.kubeletVersion"))
            .column(PrinterColumn.of("Internal-IP", "string", o -> nodeAddress(o, "InternalIP")).wide())
            .strategicMerge(NODE).build();

    public static final ResourceType CONFIGMAPS = ResourceType.builder("", "v1", "ConfigMap").plural("configmaps")
            .shortNames("cm")
            .column(PrinterColumn.of("Data", "integer", o -> o.path("data").size() + o.path("binaryData").size()))
            .strategicMerge(PatchSchema.OBJECT_META).build();

    public static final ResourceType SECRETS = ResourceType.builder("", "v1", "Secret").plural("secrets")
            .selectableFields("type")
            .column(PrinterColumn.path("Type", "type"))
            .column(PrinterColumn.of("Data", "integer", o -> o.path("data").size() + o.path("stringData").size()))
            .strategicMerge(PatchSchema.OBJECT_META).build();

    public static final ResourceType ENDPOINT_SLICES = ResourceType.builder("discovery.k8s.io", "v1", "EndpointSlice")
            .plural("endpointslices")
            .column(PrinterColumn.path("AddressType", "addressType"))
            .column(PrinterColumn.of("Ports", "string", BuiltinTypes::slicePorts))
            .column(PrinterColumn.of("Endpoints", "string", BuiltinTypes::sliceEndpoints))
            .strategicMerge(PatchSchema.OBJECT_META).build();

    public static final ResourceType DEVICES = ResourceType.builder("devices.kubeedge.io", "v1beta1", "Device")
            .plural("devices").statusSubresource().selectableFields("spec.nodeName")
            .column(PrinterColumn.path("Model", "spec.deviceModelRef.name"))
            .column(PrinterColumn.path("Node", "spec.nodeName"))
            .build();

    public static final ResourceType DEVICE_MODELS = ResourceType.builder("devices.kubeedge.io", "v1beta1", "DeviceModel")
            .plural("devicemodels")
            .column(PrinterColumn.path("Protocol", "spec.protocol"))
            .build();

    public static final ResourceType DESTINATION_RULES = ResourceType.builder("networking.istio.io", "v1", "DestinationRule")
            .plural("destinationrules").shortNames("dr").categories("istio-io", "networking-istio-io").statusSubresource()
            .column(PrinterColumn.path("Host", "spec.host"))
            .build();

    /** Istio still serves v1beta1; clients written against it (and EdgeMesh) use it. */
    public static final ResourceType DESTINATION_RULES_V1BETA1 = DESTINATION_RULES.withVersion("v1beta1");

    public static final List<ResourceType> ALL = List.of(NAMESPACES, SERVICES, ENDPOINTS, PODS, NODES, CONFIGMAPS, SECRETS,
            ENDPOINT_SLICES, DEVICES, DEVICE_MODELS, DESTINATION_RULES, DESTINATION_RULES_V1BETA1);

    // ---- printer columns, following kubectl's printers for these kinds ----

    private static String externalIps(JsonNode svc) {
        List<String> ips = new ArrayList<>();
        svc.path("status").path("loadBalancer").path("ingress").forEach(i -> ips.add(i.path("ip").asText(i.path("hostname").asText())));
        svc.path("spec").path("externalIPs").forEach(i -> ips.add(i.asText()));
        if (ips.isEmpty()) {
            String type = svc.path("spec").path("type").asText("ClusterIP");
            if (type.equals("ExternalName")) {
                return svc.path("spec").path("externalName").asText("<none>");
            }
            return type.equals("LoadBalancer") ? "<pending>" : "<none>";
        }
        return String.join(",", ips);
    }

    private static String servicePorts(JsonNode svc) {
        List<String> out = new ArrayList<>();
        for (JsonNode p : svc.path("spec").path("ports")) {
            String port = p.path("port").asText();
            if (p.hasNonNull("nodePort")) {
                port += ":" + p.path("nodePort").asText();
            }
            out.add(port + "/" + p.path("protocol").asText("TCP"));
        }
        return out.isEmpty() ? "<none>" : String.join(",", out);
    }

    private static String pairs(JsonNode map) {
        List<String> out = new ArrayList<>();
        map.properties().forEach(e -> out.add(e.getKey() + "=" + e.getValue().asText()));
        return out.isEmpty() ? "<none>" : String.join(",", out);
    }

    private static String endpointsColumn(JsonNode ep) {
        List<String> out = new ArrayList<>();
        for (JsonNode subset : ep.path("subsets")) {
            for (JsonNode address : subset.path("addresses")) {
                if (subset.path("ports").isEmpty()) {
                    out.add(address.path("ip").asText());
                }
                for (JsonNode port : subset.path("ports")) {
                    out.add(address.path("ip").asText() + ":" + port.path("port").asText());
                }
            }
        }
        return abbreviate(out);
    }

    private static String slicePorts(JsonNode slice) {
        List<String> out = new ArrayList<>();
        slice.path("ports").forEach(p -> out.add(p.path("port").asText()));
        return out.isEmpty() ? "<unset>" : String.join(",", out);
    }

    private static String sliceEndpoints(JsonNode slice) {
        List<String> out = new ArrayList<>();
        slice.path("endpoints").forEach(e -> e.path("addresses").forEach(a -> out.add(a.asText())));
        return abbreviate(out);
    }

    private static String abbreviate(List<String> items) {
        if (items.isEmpty()) {
            return "<none>";
        }
        if (items.size() <= 3) {
            return String.join(",", items);
        }
        return String.join(",", items.subList(0, 3)) + " + " + (items.size() - 3) + " more...";
    }

    private static String podReady(JsonNode pod) {
        int total = pod.path("spec").path("containers").size();
        int ready = 0;
        for (JsonNode s : pod.path("status").path("containerStatuses")) {
            if (s.path("ready").asBoolean(false)) {
                ready++;
            }
        }
        return ready + "/" + total;
    }

    private static String podStatus(JsonNode pod) {
        if (pod.path("metadata").hasNonNull("deletionTimestamp")) {
            return "Terminating";
        }
        String reason = pod.path("status").path("reason").asText("");
        if (!reason.isEmpty()) {
            return reason;
        }
        for (JsonNode s : pod.path("status").path("containerStatuses")) {
            String waiting = s.path("state").path("waiting").path("reason").asText("");
            if (!waiting.isEmpty()) {
                return waiting;
            }
            String terminated = s.path("state").path("terminated").path("reason").asText("");
            if (!terminated.isEmpty()) {
                return terminated;
            }
        }
        return pod.path("status").path("phase").asText("Pending");
    }

    private static String podRestarts(JsonNode pod) {
        int restarts = 0;
        for (JsonNode s : pod.path("status").path("containerStatuses")) {
            restarts += s.path("restartCount").asInt(0);
        }
        return Integer.toString(restarts);
    }

    private static String nodeStatus(JsonNode node) {
        String status = "Unknown";
        for (JsonNode c : node.path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready")) {
                status = c.path("status").asText().equals("True") ? "Ready" : "NotReady";
            }
        }
        return node.path("spec").path("unschedulable").asBoolean(false) ? status + ",SchedulingDisabled" : status;
    }

    private static String nodeRoles(JsonNode node) {
        List<String> roles = new ArrayList<>();
        node.path("metadata").path("labels").fieldNames().forEachRemaining(k -> {
            if (k.startsWith("node-role.kubernetes.io/")) {
                roles.add(k.substring("node-role.kubernetes.io/".length()));
            }
        });
        return roles.isEmpty() ? "<none>" : String.join(",", roles);
    }

    private static String nodeAddress(JsonNode node, String type) {
        for (JsonNode a : node.path("status").path("addresses")) {
            if (a.path("type").asText().equals(type)) {
                return a.path("address").asText();
            }
        }
        return "<none>";
    }
}
