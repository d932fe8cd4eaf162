package io.kedge.server.policy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;

/**
 * Which peers an allocation may talk to: the relay is not an open proxy. In order:
 * <ol>
 *   <li>the relay's own relayed addresses: allowed, delivered only to allocations on this relay;</li>
 *   <li>never: unspecified, loopback, link-local, multicast, reserved and broadcast addresses,
 *       IPv6 (the relay is IPv4), the relay host's other addresses and its networks, and the
 *       configured denied networks;</li>
 *   <li>allowed: agents registered with signaling, and the configured allowed networks;</li>
 *   <li>everything else is denied.</li>
 * </ol>
 * With no allowed networks configured (the default), only registered agents are reachable.
 */
public final class PeerPolicy {
    private static final List<Cidr> NEVER = List.of(
            Cidr.of("0.0.0.0/8"),        // "this network", including the unspecified address
            Cidr.of("127.0.0.0/8"),      // loopback
            Cidr.of("169.254.0.0/16"),   // link-local (and the mesh address 169.254.96.16)
            Cidr.of("224.0.0.0/4"),      // multicast
            Cidr.of("240.0.0.0/4"));     // reserved, and 255.255.255.255

    private final List<InetAddress> relayAddresses;
    private final OwnAddresses own;
    private final List<Cidr> allowed;
    private final List<Cidr> denied;
    private final RegisteredPeers registered;

    /**
     * @param relayAddresses the addresses relayed transport addresses are on (bound and advertised)
     */
    public PeerPolicy(List<InetAddress> relayAddresses, OwnAddresses own, List<Cidr> allowed, List<Cidr> denied,
                      RegisteredPeers registered) {
        this.relayAddresses = List.copyOf(relayAddresses);
        this.own = own;
        this.allowed = List.copyOf(allowed);
        this.denied = List.copyOf(denied);
        this.registered = registered;
    }

    /** Whether {@code address} is one the relay's relayed transport addresses are on. */
    public boolean isRelayAddress(InetAddress address) {
        return relayAddresses.contains(address);
    }

    public PeerDecision check(InetAddress peer) {
        if (relayAddresses.contains(peer)) {
            return new PeerDecision(PeerDecision.Verdict.RELAY_ITSELF, "the relay's own relayed address");
        }
        if (!(peer instanceof Inet4Address)) {
            return PeerDecision.denied("not an IPv4 address");
        }
        for (Cidr c : NEVER) {
            if (c.contains(peer)) {
                return PeerDecision.denied("special-purpose address (" + c + ")");
            }
        }
        if (own.isOwnAddress(peer)) {
            return PeerDecision.denied("an address of the relay host");
        }
        Cidr ownNetwork = own.ownNetworkContaining(peer);
        if (ownNetwork != null) {
            return PeerDecision.denied("on the relay host's network " + ownNetwork);
        }
        for (Cidr c : denied) {
            if (c.contains(peer)) {
                return PeerDecision.denied("in denied network " + c);
            }
        }
        if (registered.isRegistered(peer)) {
            return PeerDecision.allowed("registered agent");
        }
        for (Cidr c : allowed) {
            if (c.contains(peer)) {
                return PeerDecision.allowed("in allowed network " + c);
            }
        }
        return PeerDecision.denied("neither a registered agent nor in an allowed network");
    }
}
