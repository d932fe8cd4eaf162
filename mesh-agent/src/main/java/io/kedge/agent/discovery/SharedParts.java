package io.kedge.agent.discovery;

import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.LoadBalancerPolicy;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.catalog.SessionAffinity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lets the catalog's parts share memory instead of holding equal copies.
 * <ul>
 *   <li>{@link #reuse(Service, Catalog)} and {@link #reuse(CatalogTranslator.EndpointGroup, Catalog)}: an object
 *   the API sends again (after a restart, every object: the agent is serving the catalog it saved) is
 *   projected into fresh parts that equal those of the catalog being served. The projection keeps the
 *   served instances, so the fresh ones die young, and a catalog rebuilt with the same content is the
 *   one already served. Without this, a restarted agent held the saved catalog and the API's equal
 *   copy: 10,000 endpoints twice, 3.5 MB more live heap.</li>
 *   <li>An instance ({@link #endpoint}, {@link #service}) for catalogs read from a file: node names and
 *   namespaces interned, one port map per distinct map, the default policy and affinity shared, as the
 *   translator builds them from the API.</li>
 * </ul>
 */
final class SharedParts {
    /** Longest endpoint list searched linearly; longer ones are indexed. */
    private static final int LINEAR_SEARCH_MAX = 32;

    private final Map<Map<String, Integer>, Map<String, Integer>> portMaps = new HashMap<>();
    private final Map<ServiceKey, ServiceKey> keys = new HashMap<>();

    /** {@code projected}, or the equal Service that {@code current} holds. */
    static Service reuse(Service projected, Catalog current) {
        if (projected == null) {
            return null;
        }
        Service held = current.services().get(projected.key());
        return projected.equals(held) ? held : projected;
    }

    /** {@code projected} with its key and each endpoint replaced by the equal one that {@code current} holds, if any. */
    static CatalogTranslator.EndpointGroup reuse(CatalogTranslator.EndpointGroup projected, Catalog current) {
        if (projected == null) {
            return null;
        }
        Service heldService = current.services().get(projected.service());
        List<Endpoint> held = current.endpoints().get(projected.service());
        if (heldService == null && held == null) {
            return projected;
        }
        ServiceKey key = heldService != null ? heldService.key() : projected.service();
        List<Endpoint> endpoints = projected.endpoints();
        if (held != null && !held.isEmpty()) {
            Map<Endpoint, Endpoint> index = null;
            if (held.size() > LINEAR_SEARCH_MAX) {
                index = new HashMap<>(held.size() * 2);
                for (Endpoint e : held) {
                    index.put(e, e);
                }
            }
            List<Endpoint> shared = new ArrayList<>(endpoints.size());
            for (Endpoint e : endpoints) {
                Endpoint same = index != null ? index.get(e) : find(held, e);
                shared.add(same != null ? same : e);
            }
            endpoints = List.copyOf(shared);
        }
        return new CatalogTranslator.EndpointGroup(key, endpoints, projected.podKeys());
    }

    private static Endpoint find(List<Endpoint> held, Endpoint e) {
        for (Endpoint h : held) {
            if (h.equals(e)) {
                return h;
            }
        }
        return null;
    }

    /** {@code e} with its node name interned and its port map shared with equal ones seen before. */
    Endpoint endpoint(Endpoint e) {
        Map<String, Integer> ports = portMaps.computeIfAbsent(e.ports(), m -> m);
        String node = CatalogTranslator.intern(e.nodeName());
        if (ports == e.ports() && node == e.nodeName()) {
            return e;
        }
        return new Endpoint(e.ip(), node, e.hostname(), e.targetName(), e.ready(), e.serving(), e.terminating(), ports);
    }

    /** The key, one instance per equal key (the Service's and its endpoints' lists). */
    ServiceKey key(ServiceKey k) {
        return keys.computeIfAbsent(new ServiceKey(CatalogTranslator.intern(k.namespace()), k.name()), x -> x);
    }

    /** {@code s} with its key shared, port names interned, and the default policy and affinity as the shared constants. */
    Service service(Service s) {
        List<ServicePort> ports = new ArrayList<>(s.ports().size());
        for (ServicePort p : s.ports()) {
            ports.add(new ServicePort(CatalogTranslator.intern(p.name()), p.port(), p.protocol(), p.appProtocol(),
                    CatalogTranslator.intern(p.targetPort())));
        }
        SessionAffinity affinity = SessionAffinity.NONE.equals(s.sessionAffinity()) ? SessionAffinity.NONE : s.sessionAffinity();
        LoadBalancerPolicy policy = LoadBalancerPolicy.DEFAULT.equals(s.policy()) ? LoadBalancerPolicy.DEFAULT : s.policy();
        return new Service(key(s.key()), s.type(), s.clusterIPs(), s.headless(), s.externalName(), ports, affinity, policy,
                s.proxied(), s.publishNotReadyAddresses());
    }
}
