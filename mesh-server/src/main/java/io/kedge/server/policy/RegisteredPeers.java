package io.kedge.server.policy;

import java.net.InetAddress;

/**
 * The addresses of agents that registered with signaling (their host and server-reflexive
 * addresses). Signaling implements this; the relay asks it before it lets an allocation talk to an
 * address. It is called on I/O threads for every new permission, so it must answer from memory.
 */
@FunctionalInterface
public interface RegisteredPeers {
    /** No agent is registered: only the configured networks and the relay's own allocations are reachable. */
    RegisteredPeers NONE = address -> false;

    boolean isRegistered(InetAddress address);
}
