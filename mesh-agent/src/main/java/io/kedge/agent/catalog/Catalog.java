package io.kedge.agent.catalog;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable snapshot of everything the agent serves: Services, their endpoints and the nodes.
 * DNS answers and proxy decisions read one snapshot, so they never see a half-applied update.
 * Lookup indexes are built once per snapshot; updates are rare next to lookups.
 */
public final class Catalog {
    public static final Catalog EMPTY = new Catalog(0, Map.of(), Map.of(), Map.of());

    private final long generation;
    private final Map<ServiceKey, Service> services;
    private final Map<ServiceKey, List<Endpoint>> endpoints;
    private final Map<String, Node> nodes;
    private final Map<String, Service> byClusterIP = new HashMap<>();
    private final Map<String, List<Map.Entry<Service, Endpoint>>> byEndpointIP = new HashMap<>();

    /**
     * @param generation increases with every change (0 for the empty catalog)
     * @param services   every Service by key
     * @param endpoints  Services' endpoints (a Service missing here has none)
     * @param nodes      nodes by name
     */
    public Catalog(long generation, Map<ServiceKey, Service> services, Map<ServiceKey, List<Endpoint>> endpoints,
                   Map<String, Node> nodes) {
        this.generation = generation;
        this.services = Collections.unmodifiableMap(new TreeMap<>(services));
        Map<ServiceKey, List<Endpoint>> eps = new TreeMap<>();
        endpoints.forEach((k, v) -> eps.put(k, List.copyOf(v)));
        this.endpoints = Collections.unmodifiableMap(eps);
        this.nodes = Collections.unmodifiableMap(new TreeMap<>(nodes));
        for (Service s : this.services.values()) {
            s.clusterIPs().forEach(ip -> byClusterIP.put(ip, s));
            for (Endpoint e : endpoints(s.key())) {
                byEndpointIP.computeIfAbsent(e.ip(), k -> new ArrayList<>()).add(Map.entry(s, e));
            }
        }
    }

    public long generation() {
        return generation;
    }

    public Map<ServiceKey, Service> services() {
        return services;
    }

    public Map<ServiceKey, List<Endpoint>> endpoints() {
        return endpoints;
    }

    public Map<String, Node> nodes() {
        return nodes;
    }

    public Optional<Service> service(ServiceKey key) {
        return Optional.ofNullable(services.get(key));
    }

    /** All endpoints of a Service, ready or not. */
    public List<Endpoint> endpoints(ServiceKey key) {
        return endpoints.getOrDefault(key, List.of());
    }

    /**
     * The endpoints traffic may go to: ready ones; when none is ready, serving ones that are
     * terminating (as kube-proxy does); every one when the Service publishes not-ready addresses.
     */
    public List<Endpoint> usableEndpoints(ServiceKey key) {
        Service svc = services.get(key);
        List<Endpoint> all = endpoints(key);
        if (svc != null && svc.publishNotReadyAddresses()) {
            return all;
        }
        List<Endpoint> ready = all.stream().filter(Endpoint::ready).toList();
        if (!ready.isEmpty()) {
            return ready;
        }
        return all.stream().filter(e -> e.serving() && e.terminating()).toList();
    }

    /** The Service that owns {@code clusterIP}, if any. */
    public Optional<Service> serviceByClusterIP(String clusterIP) {
        return Optional.ofNullable(byClusterIP.get(clusterIP));
    }

    /** Services whose endpoints include {@code ip}, each with that endpoint (for PTR answers). */
    public List<Map.Entry<Service, Endpoint>> endpointsByIP(String ip) {
        return byEndpointIP.getOrDefault(ip, List.of());
    }

    /** A copy with one more change applied: a new generation. */
    public Catalog with(Map<ServiceKey, Service> newServices, Map<ServiceKey, List<Endpoint>> newEndpoints, Map<String, Node> newNodes) {
        return new Catalog(generation + 1, newServices, newEndpoints, newNodes);
    }

    @Override
    public String toString() {
        return "Catalog{generation=" + generation + ", services=" + services.size() + ", nodes=" + nodes.size() + "}";
    }
}
