package io.kedge.topo.plan;

import io.kedge.topo.spec.NatType;
import java.util.List;

/**
 * One network namespace of a topology.
 *
 * @param name       user-facing name (host name, {@code gw-<site>} for gateways, {@code internet} for the switch)
 * @param kind       what role it plays
 * @param namespace  the Linux network namespace name
 * @param site       the site it belongs to, or null on the internet segment
 * @param nat        its site's NAT type (gateways and site hosts), null otherwise
 * @param addresses  its addresses in CIDR notation, primary first (gateways: WAN first, then LAN)
 * @param gateway    for site hosts, the LAN address of their gateway; for pods, their host's pod bridge address
 */
public record Node(String name, Kind kind, String namespace, String site, NatType nat, List<String> addresses,
                   String gateway) {
    public enum Kind { SWITCH, PUBLIC, GATEWAY, HOST, PROBE, POD }

    public Node {
        addresses = List.copyOf(addresses);
    }

    /** The primary address without its prefix length, or null for a switch. */
    public String address() {
        return addresses.isEmpty() ? null : addresses.get(0).substring(0, addresses.get(0).indexOf('/'));
    }

    /** The i-th address without its prefix length. */
    public String address(int i) {
        String a = addresses.get(i);
        return a.substring(0, a.indexOf('/'));
    }
}
