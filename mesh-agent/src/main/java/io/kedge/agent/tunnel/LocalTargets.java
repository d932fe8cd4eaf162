package io.kedge.agent.tunnel;

import io.kedge.agent.catalog.Protocol;
import java.net.InetSocketAddress;

/**
 * Which targets this agent dials for a peer: endpoints of its own node only (the tunnel is not an
 * open proxy). The agent answers it from the Catalog.
 */
@FunctionalInterface
public interface LocalTargets {
    /** Null when {@code target} may be dialed, else why not. */
    String refusal(Protocol protocol, InetSocketAddress target);
}
