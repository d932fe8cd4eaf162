package io.kedge.agent.catalog;

import java.util.Locale;

/**
 * One port of a Service.
 *
 * @param name        port name ("" when the Service has a single unnamed port)
 * @param port        the Service (ClusterIP) port
 * @param protocol    TCP, UDP or SCTP
 * @param appProtocol the port's appProtocol, or null
 * @param targetPort  the target port as written (number or name), for endpoints without slices; may be null
 */
public record ServicePort(String name, int port, Protocol protocol, String appProtocol, String targetPort) {
    public ServicePort {
        name = name == null ? "" : name;
    }

    /**
     * Whether the proxy treats this port as HTTP/1.1 (per-request balancing): port name {@code http}
     * or {@code http-*}, or appProtocol {@code http}.
     */
    public boolean isHttp() {
        if (protocol != Protocol.TCP) {
            return false;
        }
        String n = name.toLowerCase(Locale.ROOT);
        return n.equals("http") || n.startsWith("http-") || (appProtocol != null && appProtocol.equalsIgnoreCase("http"));
    }
}
