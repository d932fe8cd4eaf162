package io.kedge.agent.catalog;

/** Kubernetes Service types. */
public enum ServiceType {
    CLUSTER_IP, NODE_PORT, LOAD_BALANCER, EXTERNAL_NAME;

    /** Parses Kubernetes' spelling ("ClusterIP", "NodePort", ...); null means ClusterIP. */
    public static ServiceType parse(String text) {
        if (text == null || text.isEmpty()) {
            return CLUSTER_IP;
        }
        return switch (text) {
            case "ClusterIP" -> CLUSTER_IP;
            case "NodePort" -> NODE_PORT;
            case "LoadBalancer" -> LOAD_BALANCER;
            case "ExternalName" -> EXTERNAL_NAME;
            default -> throw new IllegalArgumentException("unknown Service type " + text);
        };
    }
}
