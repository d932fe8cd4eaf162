package io.kedge.agent.discovery;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the Kubernetes objects the informers hold into a {@link Catalog}. Pure: the same inputs
 * always give the same catalog, so it is unit-tested with plain objects. A malformed object is
 * skipped with a warning; it never stops the rest of the cluster from being served.
 */
public final class CatalogTranslator {
    private static final Logger log = LoggerFactory.getLogger(CatalogTranslator.class);
    /** Kubernetes' label for "handled by another proxy"; kube-proxy honours it too. */
    public static final String PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name";
    /** EdgeMesh's name for the same thing. */
    public static final String EDGEMESH_PROXY_NAME_LABEL = "service.edgemesh.kubeedge.io/service-proxy-name";
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    /** Everything the translator reads: the informers' current contents. */
    public record Inputs(List<io.fabric8.kubernetes.api.model.Service> services, List<EndpointSlice> endpointSlices,
                         List<Endpoints> endpoints, List<Pod> pods, List<io.fabric8.kubernetes.api.model.Node> nodes,
                         List<GenericKubernetesResource> destinationRules, boolean useEndpointSlices) {
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

    public Catalog translate(long generation, Inputs in) {
        Map<String, String> podNodes = new HashMap<>();
        for (Pod pod : in.pods()) {
            if (pod.getMetadata() != null && pod.getSpec() != null && pod.getSpec().getNodeName() != null) {
                podNodes.put(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), pod.getSpec().getNodeName());
            }
        }
        Map<ServiceKey, LoadBalancerPolicy> rulePolicies = policies.fromDestinationRules(in.destinationRules());

        Map<ServiceKey, Service> services = new LinkedHashMap<>();
        for (io.fabric8.kubernetes.api.model.Service s : in.services()) {
            try {
                Service svc = service(s, rulePolicies);
                services.put(svc.key(), svc);
            } catch (RuntimeException e) {
                log.warn("skipping service {}: {}", name(s.getMetadata()), e.getMessage());
            }
        }
        Map<ServiceKey, List<Endpoint>> endpoints = in.useEndpointSlices()
                ? fromSlices(in.endpointSlices(), podNodes) : fromEndpoints(in.endpoints(), podNodes);
        endpoints.keySet().retainAll(services.keySet());

        Map<String, Node> nodes = new LinkedHashMap<>();
        for (io.fabric8.kubernetes.api.model.Node n : in.nodes()) {
            if (n.getMetadata() != null && n.getMetadata().getName() != null) {
                nodes.put(n.getMetadata().getName(), node(n));
            }
        }
        return new Catalog(generation, services, endpoints, nodes);
    }

    private Service service(io.fabric8.kubernetes.api.model.Service s, Map<ServiceKey, LoadBalancerPolicy> rulePolicies) {
        ServiceKey key = ServiceKey.of(s.getMetadata().getNamespace(), s.getMetadata().getName());
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
                ports.add(new ServicePort(p.getName(), p.getPort(), Protocol.parse(p.getProtocol()), p.getAppProtocol(), targetPort));
            }
        }
        SessionAffinity affinity = SessionAffinity.NONE;
        if ("ClientIP".equals(spec.getSessionAffinity())) {
            Integer timeout = spec.getSessionAffinityConfig() != null && spec.getSessionAffinityConfig().getClientIP() != null
                    ? spec.getSessionAffinityConfig().getClientIP().getTimeoutSeconds() : null;
            affinity = SessionAffinity.clientIp(timeout);
        }
        LoadBalancerPolicy policy = rulePolicies.get(key);
        if (policy == null) {
            policy = policies.fromAnnotations(key, s.getMetadata().getAnnotations()).orElse(LoadBalancerPolicy.DEFAULT);
        }
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

    private static Map<ServiceKey, List<Endpoint>> fromSlices(List<EndpointSlice> slices, Map<String, String> podNodes) {
        // One IP may appear in several slices (during a migration); the first ready occurrence wins.
        Map<ServiceKey, Map<String, Endpoint>> byService = new HashMap<>();
        for (EndpointSlice slice : slices) {
            if (slice.getMetadata() == null || slice.getMetadata().getLabels() == null) {
                continue;
            }
            String svc = slice.getMetadata().getLabels().get(SERVICE_NAME_LABEL);
            if (svc == null || "FQDN".equals(slice.getAddressType())) {
                continue;
            }
            ServiceKey key = ServiceKey.of(slice.getMetadata().getNamespace(), svc);
            Map<String, Integer> ports = new HashMap<>();
            if (slice.getPorts() != null) {
                for (var p : slice.getPorts()) {
                    if (p.getPort() != null) {
                        ports.put(p.getName() == null ? "" : p.getName(), p.getPort());
                    }
                }
            }
            if (slice.getEndpoints() == null) {
                continue;
            }
            Map<String, Endpoint> seen = byService.computeIfAbsent(key, k -> new LinkedHashMap<>());
            for (var e : slice.getEndpoints()) {
                EndpointConditions c = e.getConditions();
                boolean ready = c == null || c.getReady() == null || c.getReady();
                boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
                boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
                String target = targetName(e.getTargetRef());
                String nodeName = e.getNodeName() != null ? e.getNodeName() : podNodes.get(targetKey(e.getTargetRef()));
                if (e.getAddresses() == null) {
                    continue;
                }
                for (String ip : e.getAddresses()) {
                    Endpoint ep = new Endpoint(ip, nodeName, e.getHostname(), target, ready, serving, terminating, ports);
                    Endpoint prior = seen.get(ip);
                    if (prior == null || (!prior.ready() && ready)) {
                        seen.put(ip, ep);
                    }
                }
            }
        }
        Map<ServiceKey, List<Endpoint>> result = new HashMap<>();
        byService.forEach((k, v) -> result.put(k, new ArrayList<>(v.values())));
        return result;
    }

    private static Map<ServiceKey, List<Endpoint>> fromEndpoints(List<Endpoints> all, Map<String, String> podNodes) {
        Map<ServiceKey, List<Endpoint>> result = new HashMap<>();
        for (Endpoints eps : all) {
            if (eps.getMetadata() == null || eps.getSubsets() == null) {
                continue;
            }
            ServiceKey key = ServiceKey.of(eps.getMetadata().getNamespace(), eps.getMetadata().getName());
            List<Endpoint> list = result.computeIfAbsent(key, k -> new ArrayList<>());
            for (EndpointSubset subset : eps.getSubsets()) {
                Map<String, Integer> ports = new HashMap<>();
                if (subset.getPorts() != null) {
                    for (EndpointPort p : subset.getPorts()) {
                        if (p.getPort() != null) {
                            ports.put(p.getName() == null ? "" : p.getName(), p.getPort());
                        }
                    }
                }
                addAddresses(list, subset.getAddresses(), true, ports, podNodes);
                addAddresses(list, subset.getNotReadyAddresses(), false, ports, podNodes);
            }
        }
        return result;
    }

    private static void addAddresses(List<Endpoint> list, List<EndpointAddress> addresses, boolean ready,
                                     Map<String, Integer> ports, Map<String, String> podNodes) {
        if (addresses == null) {
            return;
        }
        for (EndpointAddress a : addresses) {
            if (a.getIp() == null) {
                continue;
            }
            String nodeName = a.getNodeName() != null ? a.getNodeName() : podNodes.get(targetKey(a.getTargetRef()));
            list.add(new Endpoint(a.getIp(), nodeName, a.getHostname(), targetName(a.getTargetRef()), ready, ready, false, ports));
        }
    }

    private static Node node(io.fabric8.kubernetes.api.model.Node n) {
        List<String> internal = new ArrayList<>();
        List<String> external = new ArrayList<>();
        boolean ready = false;
        if (n.getStatus() != null) {
            if (n.getStatus().getAddresses() != null) {
                for (NodeAddress a : n.getStatus().getAddresses()) {
                    if ("InternalIP".equals(a.getType())) {
                        internal.add(a.getAddress());
                    } else if ("ExternalIP".equals(a.getType())) {
                        external.add(a.getAddress());
                    }
                }
            }
            if (n.getStatus().getConditions() != null) {
                for (NodeCondition c : n.getStatus().getConditions()) {
                    if ("Ready".equals(c.getType())) {
                        ready = "True".equals(c.getStatus());
                    }
                }
            }
        }
        Map<String, String> labels = n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
        return new Node(n.getMetadata().getName(), internal, external, ready, labels);
    }

    private static String targetName(ObjectReference ref) {
        return ref == null ? null : ref.getName();
    }

    private static String targetKey(ObjectReference ref) {
        return ref == null || !"Pod".equals(ref.getKind()) ? null : ref.getNamespace() + "/" + ref.getName();
    }

    private static String name(io.fabric8.kubernetes.api.model.ObjectMeta meta) {
        return meta == null ? "?" : meta.getNamespace() + "/" + meta.getName();
    }
}
