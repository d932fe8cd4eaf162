package io.kedge.topo.spec;

import java.util.List;

/**
 * The "internet" segment: a bridge with no uplink that joins public hosts (relay, cloud) and the
 * sites' gateways. {@code probe} (default true) adds a host with two addresses used to classify NATs.
 */
public record InternetSpec(String subnet, List<HostSpec> hosts, Boolean probe) {
    public static final String DEFAULT_SUBNET = "203.0.113.0/24";

    public InternetSpec {
        subnet = subnet == null ? DEFAULT_SUBNET : subnet;
        Ipv4.Cidr.parse("subnet", subnet);
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
        probe = probe == null ? Boolean.TRUE : probe;
    }

    public static InternetSpec empty() {
        return new InternetSpec(null, null, null);
    }
}
