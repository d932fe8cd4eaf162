package io.kedge.agent.catalog;

import java.util.Map;

/**
 * One backend address of a Service, as EndpointSlices (or Endpoints) describe it.
 *
 * @param ip          the address traffic goes to
 * @param nodeName    the node it runs on (null if unknown): decides direct dial vs tunnel
 * @param hostname    the endpoint's hostname (headless DNS: {@code <hostname>.<svc>.<ns>.svc.<zone>}), or null
 * @param targetName  the pod (or other target) name, or null
 * @param ready       the "ready" condition
 * @param serving     the "serving" condition (ready, or still serving while terminating)
 * @param terminating the "terminating" condition
 * @param ports       port name to port number, from the endpoint's slice ("" for an unnamed port)
 */
public record Endpoint(String ip, String nodeName, String hostname, String targetName, boolean ready, boolean serving,
                       boolean terminating, Map<String, Integer> ports) {
    public Endpoint {
        ports = Map.copyOf(ports);
    }

    /** The endpoint's port for {@code servicePort}, or -1 when its slice does not list that port. */
    public int portFor(ServicePort servicePort) {
        Integer p = ports.get(servicePort.name());
        return p == null ? -1 : p;
    }
}
