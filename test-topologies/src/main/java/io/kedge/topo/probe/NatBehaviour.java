package io.kedge.topo.probe;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * What a probe measured from one host, in RFC 5780 terms, and the NAT type that implies.
 *
 * @param udp       whether any UDP answer came back
 * @param tcp       whether a TCP connection to the probe succeeded
 * @param local     the client's own address and port
 * @param mapped    the address and port the probe saw (first UDP test, else TCP)
 * @param mapping   how the NAT maps: per RFC 5780 section 4.3
 * @param filtering what the NAT lets in: per RFC 5780 section 4.4
 */
public record NatBehaviour(boolean udp, boolean tcp, String local, String mapped, Kind mapping, Kind filtering) {

    /** Mapping or filtering behaviour; UNKNOWN where the test could not run (no UDP). */
    public enum Kind { ENDPOINT_INDEPENDENT, ADDRESS_DEPENDENT, ADDRESS_AND_PORT_DEPENDENT, UNKNOWN }

    /**
     * The topology NAT type name this behaviour matches: {@code none}, {@code port-restricted},
     * {@code symmetric}, {@code udp-blocked}, or a descriptive name for kinds the topologies do not
     * build ({@code full-cone}, {@code restricted-cone}, {@code blocked}).
     */
    @JsonIgnore
    public String classification() {
        if (!udp) {
            return tcp ? "udp-blocked" : "blocked";
        }
        if (local != null && ip(local).equals(ip(mapped))) {
            return "none";
        }
        if (mapping != Kind.ENDPOINT_INDEPENDENT) {
            return "symmetric";
        }
        return switch (filtering) {
            case ENDPOINT_INDEPENDENT -> "full-cone";
            case ADDRESS_DEPENDENT -> "restricted-cone";
            default -> "port-restricted";
        };
    }

    private static String ip(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return colon < 0 ? hostPort : hostPort.substring(0, colon);
    }

    @Override
    public String toString() {
        return classification() + " (mapping " + mapping.name().toLowerCase().replace('_', '-')
                + ", filtering " + filtering.name().toLowerCase().replace('_', '-') + ", local " + local + ", mapped " + mapped + ")";
    }
}
