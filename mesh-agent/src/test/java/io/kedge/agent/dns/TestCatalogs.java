package io.kedge.agent.dns;

import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.catalog.ServiceType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Hand-built catalogs for the DNS tests (addresses from 198.18.0.0/15 and documentation IPv6). */
public final class TestCatalogs {
    public static final ServiceKey WEB = ServiceKey.of("default", "web");
    public static final ServiceKey DUAL = ServiceKey.of("default", "dual");
    public static final ServiceKey DB = ServiceKey.of("data", "db");
    public static final ServiceKey EXTERNAL = ServiceKey.of("default", "ext");
    public static final ServiceKey INTERNAL_ALIAS = ServiceKey.of("default", "alias");
    public static final ServiceKey LOOP_A = ServiceKey.of("default", "loop-a");
    public static final ServiceKey LOOP_B = ServiceKey.of("default", "loop-b");
    public static final ServiceKey EMPTY_HEADLESS = ServiceKey.of("default", "nobody");
    public static final ServiceKey WIDE = ServiceKey.of("default", "wide");

    private TestCatalogs() {
    }

    /**
     * default/web: ClusterIP 198.18.0.10, ports http/80 TCP, dns/53 UDP, one unnamed-less port;
     * default/dual: ClusterIPs 198.18.0.11 and 2001:db8::11;
     * data/db: headless, endpoints db-0 (198.18.1.1, ready), db-1 (198.18.1.2, ready),
     * 198.18.1.3 (ready, no hostname), db-9 (198.18.1.9, not ready); port postgres/5432 -> 15432;
     * default/ext: ExternalName {@code externalTarget};
     * default/alias: ExternalName web.default.svc.cluster.local;
     * default/loop-a and loop-b: ExternalNames pointing at each other;
     * default/nobody: headless with no endpoints;
     * default/wide: headless with 60 ready endpoints (for truncation).
     */
    public static Catalog standard(String externalTarget) {
        Map<ServiceKey, Service> services = new HashMap<>();
        Map<ServiceKey, List<Endpoint>> endpoints = new HashMap<>();
        services.put(WEB, clusterIp(WEB, List.of("198.18.0.10"), List.of(
                new ServicePort("http", 80, Protocol.TCP, null, "8080"),
                new ServicePort("dns", 53, Protocol.UDP, null, "5353"))));
        services.put(DUAL, clusterIp(DUAL, List.of("198.18.0.11", "2001:db8::11"), List.of(
                new ServicePort("", 443, Protocol.TCP, null, "8443"))));
        services.put(DB, headless(DB, List.of(new ServicePort("postgres", 5432, Protocol.TCP, null, "15432")), false));
        endpoints.put(DB, List.of(
                endpoint("198.18.1.1", "db-0", true, Map.of("postgres", 15432)),
                endpoint("198.18.1.2", "db-1", true, Map.of("postgres", 15432)),
                endpoint("198.18.1.3", null, true, Map.of("postgres", 15432)),
                endpoint("198.18.1.9", "db-9", false, Map.of("postgres", 15432))));
        services.put(EXTERNAL, externalName(EXTERNAL, externalTarget));
        services.put(INTERNAL_ALIAS, externalName(INTERNAL_ALIAS, "web.default.svc.cluster.local"));
        services.put(LOOP_A, externalName(LOOP_A, "loop-b.default.svc.cluster.local"));
        services.put(LOOP_B, externalName(LOOP_B, "loop-a.default.svc.cluster.local"));
        services.put(EMPTY_HEADLESS, headless(EMPTY_HEADLESS, List.of(), false));
        services.put(WIDE, headless(WIDE, List.of(), false));
        List<Endpoint> wide = new java.util.ArrayList<>();
        for (int i = 1; i <= 60; i++) {
            wide.add(endpoint("198.18.2." + i, null, true, Map.of()));
        }
        endpoints.put(WIDE, wide);
        return new Catalog(7, services, endpoints, Map.of());
    }

    public static Service clusterIp(ServiceKey key, List<String> ips, List<ServicePort> ports) {
        return new Service(key, ServiceType.CLUSTER_IP, ips, false, null, ports, null, null, true, false);
    }

    public static Service headless(ServiceKey key, List<ServicePort> ports, boolean publishNotReady) {
        return new Service(key, ServiceType.CLUSTER_IP, List.of(), true, null, ports, null, null, true, publishNotReady);
    }

    public static Service externalName(ServiceKey key, String target) {
        return new Service(key, ServiceType.EXTERNAL_NAME, List.of(), false, target, List.of(), null, null, true, false);
    }

    public static Endpoint endpoint(String ip, String hostname, boolean ready, Map<String, Integer> ports) {
        return new Endpoint(ip, "node-1", hostname, hostname, ready, ready, false, ports);
    }

    /**
     * {@code count} ClusterIP Services {@code svc-<i>.bench} with addresses 198.18.x.y (for the
     * benchmark); {@link #benchAddress} gives each one's address.
     */
    public static Catalog bench(int count) {
        Map<ServiceKey, Service> services = new HashMap<>();
        for (int i = 0; i < count; i++) {
            ServiceKey key = ServiceKey.of("bench", "svc-" + i);
            services.put(key, clusterIp(key, List.of(benchAddress(i)), List.of(new ServicePort("http", 80, Protocol.TCP, null, "8080"))));
        }
        return new Catalog(1, services, Map.of(), Map.of());
    }

    public static String benchAddress(int i) {
        return "198.18." + (i / 250) + "." + (i % 250 + 1);
    }
}
