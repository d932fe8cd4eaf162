package io.kedge.agent.tunnel;

import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.Node;
import io.kedge.agent.catalog.Protocol;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link LocalTargets} from the Catalog: a peer may reach the addresses of endpoints whose
 * nodeName is this node, and this node's own addresses (host-network pods); nothing else.
 */
public final class CatalogTargets implements LocalTargets {
    private final String nodeName;
    private final Supplier<Catalog> catalog;

    public CatalogTargets(String nodeName, Supplier<Catalog> catalog) {
        this.nodeName = nodeName;
        this.catalog = catalog;
    }

    @Override
    public String refusal(Protocol protocol, InetSocketAddress target) {
        String ip = target.getAddress().getHostAddress();
        Catalog c = catalog.get();
        Node self = c.nodes().get(nodeName);
        if (self != null && (self.internalIPs().contains(ip) || self.externalIPs().contains(ip))) {
            return null;
        }
        for (List<Endpoint> endpoints : c.endpoints().values()) {
            for (Endpoint e : endpoints) {
                if (ip.equals(e.ip()) && nodeName.equals(e.nodeName())) {
                    return null;
                }
            }
        }
        return ip + " is no endpoint of node " + nodeName;
    }
}
