package io.kedge.server.binding;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Where the STUN service answers. With an alternate address and port (RFC 5780) it listens on all
 * four combinations of (primary, alternate) address and (primary, alternate) port, so that a
 * client can ask for answers from another address and/or port and learn how its NAT behaves.
 */
public record StunEndpoints(InetAddress primaryAddress, int primaryPort, InetAddress alternateAddress, int alternatePort) {
    public boolean behaviourDiscovery() {
        return alternateAddress != null;
    }

    /** The socket address that differs from {@code local} in address if {@code changeIp} and in port if {@code changePort}. */
    public InetSocketAddress changed(InetSocketAddress local, boolean changeIp, boolean changePort) {
        InetAddress ip = local.getAddress();
        int port = local.getPort();
        if (changeIp) {
            ip = ip.equals(primaryAddress) ? alternateAddress : primaryAddress;
        }
        if (changePort) {
            port = port == primaryPort ? alternatePort : primaryPort;
        }
        return new InetSocketAddress(ip, port);
    }
}
