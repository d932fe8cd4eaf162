package io.kedge.agent.proxy;

import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.LoadBalancerPolicy;
import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.catalog.ServiceType;
import io.kedge.agent.catalog.SessionAffinity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds catalogs for proxy tests: Services with ClusterIPs in 198.18.0.0/15 and endpoints on loopback. */
final class TestCatalogs {
    static final String NODE = "node-a";

    private final Map<ServiceKey, Service> services = new LinkedHashMap<>();
    private final Map<ServiceKey, List<Endpoint>> endpoints = new LinkedHashMap<>();
    private long generation = 1;

    static ServicePort tcp(String name, int port) {
        return new ServicePort(name, port, Protocol.TCP, null, null);
    }

    static ServicePort udp(String name, int port) {
        return new ServicePort(name, port, Protocol.UDP, null, null);
    }

    static ServicePort http(int port) {
        return new ServicePort("http", port, Protocol.TCP, null, null);
    }

    static Service service(String name, LoadBalancerPolicy policy, SessionAffinity affinity, ServicePort... ports) {
        int n = Math.floorMod(name.hashCode(), 250) + 1;
        return new Service(ServiceKey.of("default", name), ServiceType.CLUSTER_IP, List.of("198.18.0." + n), false, null,
                List.of(ports), affinity, policy, true, false);
    }

    static Service service(String name, ServicePort... ports) {
        return service(name, LoadBalancerPolicy.DEFAULT, SessionAffinity.NONE, ports);
    }

    /** A ready endpoint on {@code node} serving the named port at {@code port}. */
    static Endpoint endpoint(String ip, String node, String portName, int port) {
        return new Endpoint(ip, node, null, null, true, true, false, Map.of(portName, port));
    }

    static Endpoint endpoint(String ip, String portName, int port) {
        return endpoint(ip, NODE, portName, port);
    }

    TestCatalogs put(Service service, Endpoint... eps) {
        services.put(service.key(), service);
        endpoints.put(service.key(), new ArrayList<>(List.of(eps)));
        return this;
    }

    TestCatalogs remove(String name) {
        services.remove(ServiceKey.of("default", name));
        endpoints.remove(ServiceKey.of("default", name));
        return this;
    }

    Catalog build() {
        return new Catalog(generation++, services, endpoints, Map.of());
    }
}
