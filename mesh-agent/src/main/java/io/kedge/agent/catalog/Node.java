package io.kedge.agent.catalog;

import java.util.List;
import java.util.Map;

/** A cluster node as the agent needs it: addresses (to dial or tunnel to) and readiness. */
public record Node(String name, List<String> internalIPs, List<String> externalIPs, boolean ready, Map<String, String> labels) {
    public Node {
        internalIPs = List.copyOf(internalIPs);
        externalIPs = List.copyOf(externalIPs);
        labels = Map.copyOf(labels);
    }
}
