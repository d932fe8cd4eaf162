package io.kedge.agent.catalog;

import java.util.List;
import java.util.Optional;

/**
 * A Service as the agent serves it.
 *
 * @param key                      namespace and name
 * @param type                     ClusterIP, NodePort, LoadBalancer or ExternalName
 * @param clusterIPs               the ClusterIPs (empty for headless and ExternalName services)
 * @param headless                 {@code clusterIP: None}: DNS answers with endpoint addresses, nothing is proxied
 * @param externalName             for ExternalName services, the CNAME target; null otherwise
 * @param ports                    the Service's ports
 * @param sessionAffinity          Kubernetes session affinity (wins over {@code policy})
 * @param policy                   load-balancing policy
 * @param proxied                  false when the Service is labelled as handled by another proxy
 * @param publishNotReadyAddresses endpoints that are not ready still count (DNS and proxy)
 */
public record Service(ServiceKey key, ServiceType type, List<String> clusterIPs, boolean headless, String externalName,
                      List<ServicePort> ports, SessionAffinity sessionAffinity, LoadBalancerPolicy policy, boolean proxied,
                      boolean publishNotReadyAddresses) {
    public Service {
        clusterIPs = List.copyOf(clusterIPs);
        ports = List.copyOf(ports);
        sessionAffinity = sessionAffinity == null ? SessionAffinity.NONE : sessionAffinity;
        policy = policy == null ? LoadBalancerPolicy.DEFAULT : policy;
    }

    public Optional<ServicePort> port(String name) {
        return ports.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** Whether the agent's proxy handles this Service: it has a ClusterIP and is not labelled away. */
    public boolean isProxiable() {
        return proxied && !headless && type != ServiceType.EXTERNAL_NAME && !clusterIPs.isEmpty();
    }

    public Service withPolicy(LoadBalancerPolicy newPolicy) {
        return new Service(key, type, clusterIPs, headless, externalName, ports, sessionAffinity, newPolicy, proxied,
                publishNotReadyAddresses);
    }
}
