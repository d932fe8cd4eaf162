package io.kedge.agent.discovery;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.LoadBalancerPolicy;
import io.kedge.agent.catalog.Node;
import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.catalog.ServiceType;
import io.kedge.agent.catalog.SessionAffinity;
import io.kedge.agent.config.AgentConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns Kubernetes objects into a {@link Catalog}, in two steps: each object is projected on its own
 * to what the catalog needs of it ({@link #service}, {@link #endpointGroup(EndpointSlice)},
 * {@link #endpointGroup(Endpoints)}, {@link #podPlacement}, {@link #node}), and the projections are
 * {@link #assemble}d (endpoints joined to Services, pods to nodes, DestinationRules to policies). The
 * informers keep only the projections (see {@link ProjectedItemStore}), so the cluster is held once,
 * in catalog form, not a second time as fabric8 objects.
 *
 * <p>Pure: the same inputs always give the same catalog, so it is unit-tested with plain objects. A
 * malformed object is skipped with a warning; it never stops the rest of the cluster from being served.
 */
public final class CatalogTranslator {
    private static final Logger log = LoggerFactory.getLogger(CatalogTranslator.class);
    /** Kubernetes' label for "handled by another proxy"; kube-proxy honours it too. */
    public static final String PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name";
    /** EdgeMesh's name for the same thing. */
    public static final String EDGEMESH_PROXY_NAME_LABEL = "service.edgemesh.kubeedge.io/service-proxy-name";
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    /**
     * Whole objects. Pods and Nodes come untyped: the agent reads only a few of their fields, and
     * fabric8's typed Pod and Node pull in a few hundred model classes and Jackson deserializers.
     */
    public record Inputs(List<io.fabric8.kubernetes.api.model.Service> services, List<EndpointSlice> endpointSlices,
                         List<Endpoints> endpoints, List<GenericKubernetesResource> pods, List<GenericKubernetesResource> nodes,
                         List<GenericKubernetesResource> destinationRules, boolean useEndpointSlices) {
    }

    /**
     * What the catalog is assembled from: every object already projected.
     *
     * @param services          Services, each with the policy from its annotations
     * @param endpointGroups    from EndpointSlices when {@code useEndpointSlices}, else from Endpoints
     * @param pods              where pods run (for endpoints that do not name their node)
     * @param nodes             the nodes
     * @param destinationRules  Istio DestinationRules, whole (few, and only in meshes that use them)
     * @param useEndpointSlices whether the groups come from EndpointSlices
     */
    public record Projections(List<Service> services, List<EndpointGroup> endpointGroups, List<PodPlacement> pods,
                              List<Node> nodes, List<GenericKubernetesResource> destinationRules, boolean useEndpointSlices) {
    }

    /**
     * The endpoints one EndpointSlice (or Endpoints object) gives a Service.
     *
     * @param service   the Service they belong to
     * @param endpoints in the object's order; {@code nodeName} is null where the object does not say
     * @param podKeys   null when every endpoint names its node; else aligned with {@code endpoints}: the
     *                  {@code namespace/name} of the pod whose node stands in for a missing node name
     */
    public record EndpointGroup(ServiceKey service, List<Endpoint> endpoints, List<String> podKeys) {
    }

    /** All the catalog needs of a pod: where it runs. */
    public record PodPlacement(String pod, String nodeName) {
    }

    private final String filterMode;
    private final String proxyName;
    private final PolicyResolver policies;

    public CatalogTranslator(AgentConfig config) {
        this(config.modules().edgeProxy().serviceFilterMode(), config.modules().edgeProxy().proxyName(),
                config.modules().edgeDNS().zone());
    }

    public CatalogTranslator(String filterMode, String proxyName, String zone) {
        this.filterMode = filterMode;
        this.proxyName = proxyName;
        this.policies = new PolicyResolver(zone);
    }

    /** The catalog from whole objects: projects each one, then {@link #assemble}s. */
    public Catalog translate(long generation, Inputs in) {
        List<Service> services = new ArrayList<>();
        for (io.fabric8.kubernetes.api.model.Service s : in.services()) {
            try {
                services.add(service(s));
            } catch (RuntimeException e) {
                log.warn("skipping service {}: {}", name(s.getMetadata()), e.getMessage());
            }
        }
        List<EndpointGroup> groups = new ArrayList<>();
        if (in.useEndpointSlices()) {
            in.endpointSlices().stream().map(CatalogTranslator::endpointGroup).filter(Objects::nonNull).forEach(groups::add);
        } else {
            in.endpoints().stream().map(CatalogTranslator::endpointGroup).filter(Objects::nonNull).forEach(groups::add);
        }
        List<PodPlacement> pods = in.pods().stream().map(CatalogTranslator::podPlacement).filter(Objects::nonNull).toList();
        List<Node> nodes = in.nodes().stream().map(CatalogTranslator::node).filter(Objects::nonNull).toList();
        return assemble(generation, new Projections(services, groups, pods, nodes, in.destinationRules(), in.useEndpointSlices()));
    }

    /** The catalog from projections: joins endpoints to Services, pods to nodes, DestinationRules to policies. */
    public Catalog assemble(long generation, Projections in) {
        Map<String, String> podNodes = new HashMap<>();
        for (PodPlacement pod : in.pods()) {
            podNodes.put(pod.pod(), pod.nodeName());
        }
        Map<ServiceKey, LoadBalancerPolicy> rulePolicies = policies.fromDestinationRules(in.destinationRules());

        Map<ServiceKey, Service> services = new LinkedHashMap<>();
        for (Service svc : in.services()) {
            // DestinationRule > annotation (already in the projection) > default.
            LoadBalancerPolicy rule = rulePolicies.get(svc.key());
            services.put(svc.key(), rule == null ? svc : svc.withPolicy(rule));
        }
        Map<ServiceKey, List<Endpoint>> endpoints = in.useEndpointSlices()
                ? fromSlices(in.endpointGroups(), podNodes) : fromEndpoints(in.endpointGroups(), podNodes);
        endpoints.keySet().retainAll(services.keySet());

        Map<String, Node> nodes = new LinkedHashMap<>();
        for (Node n : in.nodes()) {
            nodes.put(n.name(), n);
        }
        return new Catalog(generation, services, endpoints, nodes);
    }

    /**
     * A Service as the catalog holds it, with the policy from its annotations (a DestinationRule may
     * replace it when the catalog is assembled).
     *
     * @throws RuntimeException when the object is unusable (no spec, an unknown type)
     */
    public Service service(io.fabric8.kubernetes.api.model.Service s) {
        ServiceKey key = ServiceKey.of(intern(s.getMetadata().getNamespace()), s.getMetadata().getName());
        var spec = Objects.requireNonNull(s.getSpec(), "no spec");
        ServiceType type = ServiceType.parse(spec.getType());
        List<String> ips = new ArrayList<>();
        if (spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()) {
            ips.addAll(spec.getClusterIPs());
        } else if (spec.getClusterIP() != null && !spec.getClusterIP().isEmpty()) {
            ips.add(spec.getClusterIP());
        }
        boolean headless = ips.contains("None");
        ips.removeIf(ip -> ip.equals("None") || ip.isBlank());
        if (type == ServiceType.EXTERNAL_NAME) {
            ips.clear();
        }
        List<ServicePort> ports = new ArrayList<>();
        if (spec.getPorts() != null) {
            for (var p : spec.getPorts()) {
                IntOrString target = p.getTargetPort();
                String targetPort = target == null ? String.valueOf(p.getPort())
                        : target.getStrVal() != null ? target.getStrVal() : String.valueOf(target.getIntVal());
                ports.add(new ServicePort(intern(p.getName()), p.getPort(), Protocol.parse(p.getProtocol()), p.getAppProtocol(),
                        intern(targetPort)));
            }
        }
        SessionAffinity affinity = SessionAffinity.NONE;
        if ("ClientIP".equals(spec.getSessionAffinity())) {
            Integer timeout = spec.getSessionAffinityConfig() != null && spec.getSessionAffinityConfig().getClientIP() != null
                    ? spec.getSessionAffinityConfig().getClientIP().getTimeoutSeconds() : null;
            affinity = SessionAffinity.clientIp(timeout);
        }
        LoadBalancerPolicy policy = policies.fromAnnotations(key, s.getMetadata().getAnnotations()).orElse(LoadBalancerPolicy.DEFAULT);
        return new Service(key, type, ips, headless, spec.getExternalName(), ports, affinity, policy,
                proxied(s.getMetadata().getLabels()), Boolean.TRUE.equals(spec.getPublishNotReadyAddresses()));
    }

    /** Whether this agent proxies a Service with these labels, per {@code serviceFilterMode}. */
    boolean proxied(Map<String, String> labels) {
        String owner = labels == null ? null : labels.getOrDefault(PROXY_NAME_LABEL, labels.get(EDGEMESH_PROXY_NAME_LABEL));
        if (AgentConfig.EdgeProxy.FILTER_IF_LABEL_DOES_NOT_EXIST.equals(filterMode)) {
            return proxyName.equals(owner);
        }
        return owner == null || proxyName.equals(owner);
    }

    /**
     * The endpoints of one EndpointSlice, or null when it gives no Service any (no service-name label,
     * FQDN addresses, no endpoint list).
     */
    public static EndpointGroup endpointGroup(EndpointSlice slice) {
        if (slice.getMetadata() == null || slice.getMetadata().getLabels() == null) {
            return null;
        }
        String svc = slice.getMetadata().getLabels().get(SERVICE_NAME_LABEL);
        if (svc == null || "FQDN".equals(slice.getAddressType()) || slice.getEndpoints() == null) {
            return null;
        }
        ServiceKey key = ServiceKey.of(intern(slice.getMetadata().getNamespace()), svc);
        Map<String, Integer> ports = portMap(slice.getPorts(), p -> p.getName(), p -> p.getPort());
        List<Endpoint> endpoints = new ArrayList<>();
        List<String> podKeys = new ArrayList<>();
        for (var e : slice.getEndpoints()) {
            if (e.getAddresses() == null) {
                continue;
            }
            EndpointConditions c = e.getConditions();
            boolean ready = c == null || c.getReady() == null || c.getReady();
            boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
            boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
            String target = targetName(e.getTargetRef());
            String nodeName = intern(e.getNodeName());
            String podKey = nodeName == null ? targetKey(e.getTargetRef()) : null;
            for (String ip : e.getAddresses()) {
                endpoints.add(new Endpoint(ip, nodeName, e.getHostname(), target, ready, serving, terminating, ports));
                podKeys.add(podKey);
            }
        }
        return new EndpointGroup(key, List.copyOf(endpoints), podKeysOrNull(podKeys));
    }

    /** The endpoints of one Endpoints object (clusters without EndpointSlices), or null without subsets. */
    public static EndpointGroup endpointGroup(Endpoints eps) {
        if (eps.getMetadata() == null || eps.getSubsets() == null) {
            return null;
        }
        ServiceKey key = ServiceKey.of(intern(eps.getMetadata().getNamespace()), eps.getMetadata().getName());
        List<Endpoint> endpoints = new ArrayList<>();
        List<String> podKeys = new ArrayList<>();
        for (EndpointSubset subset : eps.getSubsets()) {
            Map<String, Integer> ports = portMap(subset.getPorts(), EndpointPort::getName, EndpointPort::getPort);
            addAddresses(endpoints, podKeys, subset.getAddresses(), true, ports);
            addAddresses(endpoints, podKeys, subset.getNotReadyAddresses(), false, ports);
        }
        return new EndpointGroup(key, List.copyOf(endpoints), podKeysOrNull(podKeys));
    }

    /**
     * Port name ("" when unnamed) to number, for one slice or subset: one immutable map that all its
     * endpoints share.
     */
    private static <P> Map<String, Integer> portMap(List<P> ports, Function<P, String> name, Function<P, Integer> number) {
        Map<String, Integer> map = new HashMap<>();
        if (ports != null) {
            for (P p : ports) {
                if (number.apply(p) != null) {
                    map.put(name.apply(p) == null ? "" : intern(name.apply(p)), number.apply(p));
                }
            }
        }
        return Map.copyOf(map);
    }

    private static void addAddresses(List<Endpoint> endpoints, List<String> podKeys, List<EndpointAddress> addresses,
                                     boolean ready, Map<String, Integer> ports) {
        if (addresses == null) {
            return;
        }
        for (EndpointAddress a : addresses) {
            if (a.getIp() == null) {
                continue;
            }
            String nodeName = intern(a.getNodeName());
            endpoints.add(new Endpoint(a.getIp(), nodeName, a.getHostname(), targetName(a.getTargetRef()), ready, ready, false, ports));
            podKeys.add(nodeName == null ? targetKey(a.getTargetRef()) : null);
        }
    }

    private static List<String> podKeysOrNull(List<String> podKeys) {
        return podKeys.stream().allMatch(Objects::isNull) ? null : Collections.unmodifiableList(podKeys);
    }

    /** Where a pod (untyped: see {@link Inputs}) runs, or null for a pod not (yet) scheduled. */
    public static PodPlacement podPlacement(GenericKubernetesResource pod) {
        if (pod.getMetadata() == null || !(pod.get("spec", "nodeName") instanceof String nodeName)) {
            return null;
        }
        return new PodPlacement(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), intern(nodeName));
    }

    /** A node (untyped: see {@link Inputs}) as the catalog holds it, or null for a nameless one. */
    public static Node node(GenericKubernetesResource n) {
        if (n.getMetadata() == null || n.getMetadata().getName() == null) {
            return null;
        }
        List<String> internal = new ArrayList<>();
        List<String> external = new ArrayList<>();
        for (Map<?, ?> a : maps(n.get("status", "addresses"))) {
            if (a.get("address") instanceof String address) {
                if ("InternalIP".equals(a.get("type"))) {
                    internal.add(address);
                } else if ("ExternalIP".equals(a.get("type"))) {
                    external.add(address);
                }
            }
        }
        boolean ready = false;
        for (Map<?, ?> c : maps(n.get("status", "conditions"))) {
            if ("Ready".equals(c.get("type"))) {
                ready = "True".equals(c.get("status"));
            }
        }
        Map<String, String> labels = n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
        return new Node(intern(n.getMetadata().getName()), internal, external, ready, labels);
    }

    /** The maps in a list of an untyped object (anything else there is ignored). */
    private static List<Map<?, ?>> maps(Object list) {
        List<Map<?, ?>> result = new ArrayList<>();
        if (list instanceof List<?> items) {
            for (Object item : items) {
                if (item instanceof Map<?, ?> map) {
                    result.add(map);
                }
            }
        }
        return result;
    }

    private static Map<ServiceKey, List<Endpoint>> fromSlices(List<EndpointGroup> groups, Map<String, String> podNodes) {
        // One IP may appear in several slices (during a migration); the first ready occurrence wins.
        Map<ServiceKey, Map<String, Endpoint>> byService = new HashMap<>();
        for (EndpointGroup group : groups) {
            Map<String, Endpoint> seen = byService.computeIfAbsent(group.service(), k -> new LinkedHashMap<>());
            for (int i = 0; i < group.endpoints().size(); i++) {
                Endpoint ep = placed(group, i, podNodes);
                Endpoint prior = seen.get(ep.ip());
                if (prior == null || (!prior.ready() && ep.ready())) {
                    seen.put(ep.ip(), ep);
                }
            }
        }
        Map<ServiceKey, List<Endpoint>> result = new HashMap<>();
        byService.forEach((k, v) -> result.put(k, new ArrayList<>(v.values())));
        return result;
    }

    private static Map<ServiceKey, List<Endpoint>> fromEndpoints(List<EndpointGroup> groups, Map<String, String> podNodes) {
        Map<ServiceKey, List<Endpoint>> result = new HashMap<>();
        for (EndpointGroup group : groups) {
            List<Endpoint> list = result.computeIfAbsent(group.service(), k -> new ArrayList<>());
            for (int i = 0; i < group.endpoints().size(); i++) {
                list.add(placed(group, i, podNodes));
            }
        }
        return result;
    }

    /** Endpoint {@code i} of a group, with its pod's node when it names none itself. */
    private static Endpoint placed(EndpointGroup group, int i, Map<String, String> podNodes) {
        Endpoint ep = group.endpoints().get(i);
        String podKey = group.podKeys() == null ? null : group.podKeys().get(i);
        String node = podKey == null ? null : podNodes.get(podKey);
        return node == null ? ep
                : new Endpoint(ep.ip(), node, ep.hostname(), ep.targetName(), ep.ready(), ep.serving(), ep.terminating(), ep.ports());
    }

    private static String targetName(ObjectReference ref) {
        return ref == null ? null : ref.getName();
    }

    private static String targetKey(ObjectReference ref) {
        return ref == null || !"Pod".equals(ref.getKind()) ? null : ref.getNamespace() + "/" + ref.getName();
    }

    /** Namespaces, node names and port names repeat across thousands of objects: one copy of each. */
    static String intern(String s) {
        return s == null ? null : s.intern();
    }

    private static String name(io.fabric8.kubernetes.api.model.ObjectMeta meta) {
        return meta == null ? "?" : meta.getNamespace() + "/" + meta.getName();
    }
}
