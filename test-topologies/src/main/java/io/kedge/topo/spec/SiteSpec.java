package io.kedge.topo.spec;

import io.kedge.common.config.ConfigException;
import java.util.List;

/** A site: a LAN bridge with hosts behind one gateway of the given NAT type. */
public record SiteSpec(String name, NatType nat, String subnet, List<HostSpec> hosts) {
    public SiteSpec {
        Names.check("name", name);
        if (nat == null) {
            throw new ConfigException("nat", null, "is required (one of none, port-restricted, symmetric, udp-blocked)");
        }
        if (subnet != null) {
            Ipv4.Cidr.parse("subnet", subnet);
        }
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
        if (hosts.isEmpty()) {
            throw new ConfigException("hosts", null, "a site needs at least one host");
        }
    }
}
