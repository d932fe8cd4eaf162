package io.kedge.agent.proxy;

import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A Service port the proxy serves: what the agent's iptables rules DNAT
 * ({@code clusterIP:port.port()} for each ClusterIP, protocol {@code port.protocol()}) to {@code listener}.
 */
public record ProxiedPort(ServiceKey service, ServicePort port, List<String> clusterIPs, InetSocketAddress listener) {
    public ProxiedPort {
        clusterIPs = List.copyOf(clusterIPs);
    }
}
