package io.kedge.cloud.endpoints;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.select.LabelSelector;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the endpoints of one Service should be, computed from the Service, the Pods of its namespace
 * and (for a Service without selector) its hand-written Endpoints. Pure: no store, no clock.
 *
 * <ul>
 *   <li>Service with a selector: one EndpointSlice (discovery.k8s.io/v1) per address family and
 *       port mapping (pods whose named target ports resolve differently land in different slices),
 *       at most {@value #MAX_ENDPOINTS_PER_SLICE} endpoints each, managed by
 *       {@value #MANAGED_BY_CONTROLLER}; and the v1 Endpoints object of the same name for clients
 *       that only read those.</li>
 *   <li>Service without a selector: its hand-written Endpoints mirrored into slices managed by
 *       {@value #MANAGED_BY_MIRROR}, as Kubernetes' mirroring controller does (unless the Endpoints
 *       carries {@value #SKIP_MIRROR}).</li>
 *   <li>ExternalName Services have no endpoints.</li>
 * </ul>
 */
public final class DesiredEndpoints {
    public static final String SERVICE_NAME = "kubernetes.io/service-name";
    public static final String MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
    public static final String MANAGED_BY_CONTROLLER = "endpointslice-controller.k8s.io";
    public static final String MANAGED_BY_MIRROR = "endpointslicemirroring-controller.k8s.io";
    public static final String SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror";
    /** The label Kubernetes puts on the Endpoints its endpoints controller manages. */
    public static final String ENDPOINTS_MANAGED_BY = "endpoints.kubernetes.io/managed-by";
    public static final String ENDPOINTS_CONTROLLER = "endpoint-controller";
    public static final String HEADLESS = "service.kubernetes.io/headless";
    public static final int MAX_ENDPOINTS_PER_SLICE = 100;

    /** The slices a Service should have, and its Endpoints object when the controller manages one (else null). */
    public record Result(List<ObjectNode> slices, ObjectNode endpoints) {
    }

    private DesiredEndpoints() {
    }

    /**
     * @param service the Service
     * @param pods the Pods of the Service's namespace
     * @param handWritten the Endpoints of the same name, when one exists (else null)
     */
    public static Result compute(ObjectNode service, List<ObjectNode> pods, ObjectNode handWritten) {
        JsonNode spec = service.path("spec");
        if ("ExternalName".equals(spec.path("type").asText())) {
            return new Result(List.of(), null);
        }
        if (!hasSelector(service)) {
            return new Result(mirror(service, handWritten), null);
        }
        return fromPods(service, pods);
    }

    public static boolean hasSelector(JsonNode service) {
        JsonNode selector = service.path("spec").path("selector");
        return selector.isObject() && !selector.isEmpty();
    }

    // ---- Services with a selector ----

    /** One pod as an endpoint of the service, with the ports its target ports resolve to. */
    private record PodEndpoint(ObjectNode pod, String ip, boolean ready, boolean serving, boolean terminating, List<ObjectNode> ports) {
    }

    private static Result fromPods(ObjectNode service, List<ObjectNode> pods) {
        Map<String, String> selector = new TreeMap<>();
        service.path("spec").path("selector").properties().forEach(e -> selector.put(e.getKey(), e.getValue().asText()));
        LabelSelector match = LabelSelector.ofEquals(selector);
        boolean publishNotReady = service.path("spec").path("publishNotReadyAddresses").asBoolean(false);
        List<PodEndpoint> endpoints = new ArrayList<>();
        for (ObjectNode pod : pods) {
            if (!match.matches(KubeObjects.labels(pod)) || !usable(pod)) {
                continue;
            }
            boolean terminating = pod.path("metadata").hasNonNull("deletionTimestamp");
            boolean podReady = podReady(pod);
            endpoints.add(new PodEndpoint(pod, podIp(pod), publishNotReady || (podReady && !terminating), podReady, terminating,
                    resolvePorts(service, pod)));
        }
        endpoints.sort(Comparator.comparing(e -> KubeObjects.name(e.pod())));

        // Group by family and port mapping; each group is chunked into slices.
        Map<String, List<PodEndpoint>> groups = new LinkedHashMap<>();
        for (PodEndpoint e : endpoints) {
            groups.computeIfAbsent(family(e.ip()) + "|" + portsKey(e.ports()), k -> new ArrayList<>()).add(e);
        }
        List<ObjectNode> slices = new ArrayList<>();
        for (Map.Entry<String, List<PodEndpoint>> group : new TreeMap<>(groups).entrySet()) {
            List<PodEndpoint> members = group.getValue();
            for (int from = 0, chunk = 0; from < members.size(); from += MAX_ENDPOINTS_PER_SLICE, chunk++) {
                List<PodEndpoint> part = members.subList(from, Math.min(members.size(), from + MAX_ENDPOINTS_PER_SLICE));
                ObjectNode slice = slice(service, MANAGED_BY_CONTROLLER, family(part.get(0).ip()), group.getKey() + "|" + chunk,
                        part.get(0).ports());
                ArrayNode list = slice.putArray("endpoints");
                for (PodEndpoint e : part) {
                    list.add(podEndpoint(service, e));
                }
                slices.add(slice);
            }
        }
        if (slices.isEmpty()) {
            // Like Kubernetes: a Service that selects nothing still has one (empty) slice.
            ObjectNode placeholder = slice(service, MANAGED_BY_CONTROLLER, "IPv4", "placeholder", List.of());
            slices.add(placeholder);
        }
        return new Result(slices, endpointsObject(service, endpoints));
    }

    /** Pods that can serve: an IP, not finished. */
    private static boolean usable(ObjectNode pod) {
        String phase = pod.path("status").path("phase").asText("");
        return podIp(pod) != null && !phase.equals("Succeeded") && !phase.equals("Failed");
    }

    static String podIp(JsonNode pod) {
        String ip = pod.path("status").path("podIP").asText("");
        if (ip.isEmpty()) {
            ip = pod.path("status").path("podIPs").path(0).path("ip").asText("");
        }
        return ip.isEmpty() ? null : ip;
    }

    static boolean podReady(JsonNode pod) {
        for (JsonNode c : pod.path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready")) {
                return c.path("status").asText().equals("True");
            }
        }
        return false;
    }

    /**
     * The service's ports as this pod serves them: a numeric targetPort as is, a named one looked up
     * in the pod's container ports (same protocol); a name the pod lacks leaves that port out.
     */
    static List<ObjectNode> resolvePorts(JsonNode service, JsonNode pod) {
        List<ObjectNode> out = new ArrayList<>();
        for (JsonNode sp : service.path("spec").path("ports")) {
            String protocol = sp.path("protocol").asText("TCP");
            JsonNode target = sp.get("targetPort");
            Integer port;
            if (target == null || target.isNull() || (target.isTextual() && target.asText().isEmpty())) {
                port = sp.path("port").isInt() ? sp.path("port").asInt() : null;
            } else if (target.isInt() || (target.isTextual() && target.asText().matches("\\d+"))) {
                port = target.asInt();
            } else {
                port = namedPort(pod, target.asText(), protocol);
            }
            if (port == null || port < 1 || port > 65535) {
                continue;
            }
            ObjectNode p = KubeObjects.JSON.createObjectNode();
            if (sp.hasNonNull("name")) {
                p.put("name", sp.get("name").asText());
            } else {
                p.put("name", "");
            }
            p.put("port", port);
            p.put("protocol", protocol);
            if (sp.hasNonNull("appProtocol")) {
                p.put("appProtocol", sp.get("appProtocol").asText());
            }
            out.add(p);
        }
        return out;
    }

    private static Integer namedPort(JsonNode pod, String name, String protocol) {
        for (String list : new String[] {"containers", "initContainers"}) {
            for (JsonNode c : pod.path("spec").path(list)) {
                for (JsonNode cp : c.path("ports")) {
                    if (cp.path("name").asText().equals(name) && cp.path("protocol").asText("TCP").equals(protocol)
                            && cp.path("containerPort").isInt()) {
                        return cp.get("containerPort").asInt();
                    }
                }
            }
        }
        return null;
    }

    private static ObjectNode podEndpoint(ObjectNode service, PodEndpoint e) {
        ObjectNode ep = KubeObjects.JSON.createObjectNode();
        ep.putArray("addresses").add(e.ip());
        ObjectNode conditions = ep.putObject("conditions");
        conditions.put("ready", e.ready());
        conditions.put("serving", e.serving());
        conditions.put("terminating", e.terminating());
        String hostname = hostname(service, e.pod());
        if (hostname != null) {
            ep.put("hostname", hostname);
        }
        String node = e.pod().path("spec").path("nodeName").asText("");
        if (!node.isEmpty()) {
            ep.put("nodeName", node);
        }
        ep.set("targetRef", podRef(e.pod()));
        return ep;
    }

    /** A pod's hostname is published only when its subdomain is this service (as for DNS in Kubernetes). */
    private static String hostname(JsonNode service, JsonNode pod) {
        String hostname = pod.path("spec").path("hostname").asText("");
        String subdomain = pod.path("spec").path("subdomain").asText("");
        return !hostname.isEmpty() && subdomain.equals(KubeObjects.name(service))
                && KubeObjects.namespace(service).equals(KubeObjects.namespace(pod)) ? hostname : null;
    }

    private static ObjectNode podRef(JsonNode pod) {
        ObjectNode ref = KubeObjects.JSON.createObjectNode();
        ref.put("kind", "Pod");
        ref.put("namespace", KubeObjects.namespace(pod));
        ref.put("name", KubeObjects.name(pod));
        if (KubeObjects.uid(pod) != null) {
            ref.put("uid", KubeObjects.uid(pod));
        }
        return ref;
    }

    /** The v1 Endpoints of a selector Service: ready pods in addresses, the rest in notReadyAddresses; terminating pods left out. */
    private static ObjectNode endpointsObject(ObjectNode service, List<PodEndpoint> endpoints) {
        ObjectNode ep = KubeObjects.JSON.createObjectNode();
        ep.put("apiVersion", "v1");
        ep.put("kind", "Endpoints");
        ObjectNode meta = ep.putObject("metadata");
        meta.put("name", KubeObjects.name(service));
        meta.put("namespace", KubeObjects.namespace(service));
        ObjectNode labels = serviceLabels(service, meta);
        labels.put(SKIP_MIRROR, "true");
        labels.put(ENDPOINTS_MANAGED_BY, ENDPOINTS_CONTROLLER);
        Map<String, ObjectNode> subsets = new TreeMap<>();
        for (PodEndpoint e : endpoints) {
            if (e.terminating() && !e.ready()) {
                continue;
            }
            ObjectNode subset = subsets.computeIfAbsent(portsKey(e.ports()), k -> {
                ObjectNode s = KubeObjects.JSON.createObjectNode();
                ArrayNode ports = s.putArray("ports");
                e.ports().forEach(p -> ports.add(p.deepCopy()));
                return s;
            });
            ObjectNode address = KubeObjects.JSON.createObjectNode();
            address.put("ip", e.ip());
            String hostname = hostname(service, e.pod());
            if (hostname != null) {
                address.put("hostname", hostname);
            }
            String node = e.pod().path("spec").path("nodeName").asText("");
            if (!node.isEmpty()) {
                address.put("nodeName", node);
            }
            address.set("targetRef", podRef(e.pod()));
            ArrayNode list = subset.get(e.ready() ? "addresses" : "notReadyAddresses") instanceof ArrayNode a ? a
                    : subset.putArray(e.ready() ? "addresses" : "notReadyAddresses");
            list.add(address);
        }
        if (!subsets.isEmpty()) {
            ArrayNode list = ep.putArray("subsets");
            subsets.values().forEach(s -> {
                // Kubernetes orders subset fields addresses, notReadyAddresses, ports.
                ObjectNode ordered = KubeObjects.JSON.createObjectNode();
                for (String f : new String[] {"addresses", "notReadyAddresses", "ports"}) {
                    if (s.has(f)) {
                        ordered.set(f, s.get(f));
                    }
                }
                list.add(ordered);
            });
        }
        return ep;
    }

    // ---- Services without a selector: mirroring ----

    private static List<ObjectNode> mirror(ObjectNode service, ObjectNode handWritten) {
        if (handWritten == null || "true".equals(KubeObjects.label(handWritten, SKIP_MIRROR))) {
            return List.of();
        }
        List<ObjectNode> slices = new ArrayList<>();
        int index = 0;
        for (JsonNode subset : handWritten.path("subsets")) {
            List<ObjectNode> ports = new ArrayList<>();
            for (JsonNode p : subset.path("ports")) {
                ObjectNode port = KubeObjects.JSON.createObjectNode();
                port.put("name", p.path("name").asText(""));
                port.put("port", p.path("port").asInt());
                port.put("protocol", p.path("protocol").asText("TCP"));
                if (p.hasNonNull("appProtocol")) {
                    port.put("appProtocol", p.get("appProtocol").asText());
                }
                ports.add(port);
            }
            Map<String, List<ObjectNode>> byFamily = new TreeMap<>();
            addMirrored(subset.path("addresses"), true, byFamily);
            addMirrored(subset.path("notReadyAddresses"), false, byFamily);
            for (Map.Entry<String, List<ObjectNode>> family : byFamily.entrySet()) {
                List<ObjectNode> members = family.getValue();
                for (int from = 0, chunk = 0; from < members.size(); from += MAX_ENDPOINTS_PER_SLICE, chunk++) {
                    ObjectNode slice = slice(service, MANAGED_BY_MIRROR, family.getKey(),
                            "mirror|" + index + "|" + family.getKey() + "|" + portsKey(ports) + "|" + chunk, ports);
                    ArrayNode list = slice.putArray("endpoints");
                    members.subList(from, Math.min(members.size(), from + MAX_ENDPOINTS_PER_SLICE)).forEach(list::add);
                    slices.add(slice);
                }
            }
            index++;
        }
        return slices;
    }

    private static void addMirrored(JsonNode addresses, boolean ready, Map<String, List<ObjectNode>> byFamily) {
        for (JsonNode a : addresses) {
            String ip = a.path("ip").asText("");
            if (ip.isEmpty()) {
                continue;
            }
            ObjectNode ep = KubeObjects.JSON.createObjectNode();
            ep.putArray("addresses").add(ip);
            ObjectNode conditions = ep.putObject("conditions");
            conditions.put("ready", ready);
            if (a.hasNonNull("hostname")) {
                ep.put("hostname", a.get("hostname").asText());
            }
            if (a.hasNonNull("nodeName")) {
                ep.put("nodeName", a.get("nodeName").asText());
            }
            if (a.hasNonNull("targetRef")) {
                ep.set("targetRef", a.get("targetRef").deepCopy());
            }
            byFamily.computeIfAbsent(family(ip), k -> new ArrayList<>()).add(ep);
        }
    }

    // ---- shared ----

    private static ObjectNode slice(ObjectNode service, String managedBy, String addressType, String identity, List<ObjectNode> ports) {
        ObjectNode slice = KubeObjects.JSON.createObjectNode();
        slice.put("apiVersion", "discovery.k8s.io/v1");
        slice.put("kind", "EndpointSlice");
        ObjectNode meta = slice.putObject("metadata");
        String serviceName = KubeObjects.name(service);
        meta.put("name", sliceName(serviceName, managedBy + "|" + identity));
        meta.put("namespace", KubeObjects.namespace(service));
        ObjectNode labels = serviceLabels(service, meta);
        labels.put(SERVICE_NAME, serviceName);
        labels.put(MANAGED_BY, managedBy);
        if ("None".equals(service.path("spec").path("clusterIP").asText())) {
            labels.put(HEADLESS, "");
        }
        if (KubeObjects.uid(service) != null) {
            ObjectNode owner = meta.putArray("ownerReferences").addObject();
            owner.put("apiVersion", "v1");
            owner.put("kind", "Service");
            owner.put("name", serviceName);
            owner.put("uid", KubeObjects.uid(service));
            owner.put("controller", true);
            owner.put("blockOwnerDeletion", true);
        }
        slice.put("addressType", addressType);
        ArrayNode list = slice.putArray("ports");
        ports.forEach(p -> list.add(p.deepCopy()));
        return slice;
    }

    /** The Service's own labels, copied (as Kubernetes does) onto what is derived from it. */
    private static ObjectNode serviceLabels(ObjectNode service, ObjectNode meta) {
        ObjectNode labels = meta.putObject("labels");
        service.path("metadata").path("labels").properties().forEach(e -> {
            if (!e.getKey().equals(HEADLESS) && !e.getKey().equals(MANAGED_BY) && !e.getKey().equals(SERVICE_NAME)) {
                labels.set(e.getKey(), e.getValue());
            }
        });
        return labels;
    }

    /** Deterministic slice names: {@code <service>-<10 hex>} from what distinguishes the slice. */
    static String sliceName(String service, String identity) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return service + "-" + HexFormat.of().formatHex(d, 0, 5);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String family(String ip) {
        return ip.contains(":") ? "IPv6" : "IPv4";
    }

    private static String portsKey(List<ObjectNode> ports) {
        StringBuilder sb = new StringBuilder();
        for (ObjectNode p : ports) {
            sb.append(p.path("name").asText()).append('/').append(p.path("port").asInt()).append('/')
                    .append(p.path("protocol").asText()).append(';');
        }
        return sb.toString();
    }
}
