package io.kedge.agent.tunnel;

import java.net.InetAddress;
import java.util.List;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.Candidate;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.Component;
import org.ice4j.ice.RemoteCandidate;

/**
 * Candidates in SDP's a=candidate syntax (RFC 8839 section 5.1), the form they travel in through
 * signaling: {@code candidate:FOUNDATION COMPONENT TRANSPORT PRIORITY ADDRESS PORT typ TYPE
 * [raddr ADDRESS rport PORT]}. Only IP literals are accepted, so parsing never resolves a name.
 */
final class IceCandidates {
    static final String TCP_RELAY = "tcp-relay";
    static final String DIRECT_TCP = "kedge-tcp";

    private IceCandidates() {
    }

    static String format(Candidate<?> c) {
        TransportAddress a = c.getTransportAddress();
        StringBuilder s = new StringBuilder("candidate:").append(c.getFoundation()).append(' ')
                .append(c.getParentComponent().getComponentID()).append(' ')
                .append(c.getTransport().toString()).append(' ')
                .append(c.getPriority()).append(' ')
                .append(a.getHostAddress()).append(' ').append(a.getPort())
                .append(" typ ").append(c.getType().toString());
        TransportAddress related = c.getRelatedAddress();
        if (related != null) {
            s.append(" raddr ").append(related.getHostAddress()).append(" rport ").append(related.getPort());
        }
        return s.toString();
    }

    /** The candidate, or null (with nothing thrown) for a line that is not a UDP candidate of this component. */
    static RemoteCandidate parse(String line, Component component) {
        String[] f = line.strip().split(" +");
        if (f.length < 8 || !f[0].startsWith("candidate:") || !"typ".equals(f[6])) {
            return null;
        }
        try {
            String foundation = f[0].substring("candidate:".length());
            int componentId = Integer.parseInt(f[1]);
            if (componentId != component.getComponentID() || !"udp".equalsIgnoreCase(f[2])) {
                return null;
            }
            long priority = Long.parseLong(f[3]);
            InetAddress address = ipLiteral(f[4]);
            int port = Integer.parseInt(f[5]);
            CandidateType type = CandidateType.parse(f[7]);
            if (address == null || port < 1 || port > 65535 || priority < 1 || priority > 0xFFFFFFFFL || type == null) {
                return null;
            }
            RemoteCandidate related = null;
            if (f.length >= 12 && "raddr".equals(f[8]) && "rport".equals(f[10])) {
                InetAddress raddr = ipLiteral(f[9]);
                int rport = Integer.parseInt(f[11]);
                if (raddr != null && rport >= 0 && rport <= 65535) {
                    related = new RemoteCandidate(new TransportAddress(raddr, rport, Transport.UDP), component,
                            CandidateType.HOST_CANDIDATE, foundation, priority, null);
                }
            }
            return new RemoteCandidate(new TransportAddress(address, port, Transport.UDP), component, type, foundation, priority, related);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The candidate line that announces a relayed address held over TCP or TLS: the sender's site
     * cannot use UDP, so both sides meet through TURN allocations they hold over TCP. Its transport
     * is no ICE transport, so a peer without the TCP relay path skips the line.
     */
    static String tcpRelay(java.net.InetSocketAddress relayed) {
        return "candidate:" + TCP_RELAY + " 1 " + TCP_RELAY + " 1 " + relayed.getAddress().getHostAddress() + " " + relayed.getPort()
                + " typ relay";
    }

    /** The relayed address a peer announced with {@link #tcpRelay}, or null when it announced none (or a malformed one). */
    static java.net.InetSocketAddress tcpRelay(java.util.List<String> lines) {
        for (String line : lines) {
            String[] f = line.strip().split(" +");
            if (f.length >= 8 && f[0].equals("candidate:" + TCP_RELAY) && f[2].equals(TCP_RELAY) && f[6].equals("typ")) {
                InetAddress address = ipLiteral(f[4]);
                try {
                    int port = Integer.parseInt(f[5]);
                    if (address != null && port > 0 && port < 65536) {
                        return new java.net.InetSocketAddress(address, port);
                    }
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /**
     * The candidate line that offers this agent's direct TCP lane on {@code address}: an RFC 6544
     * passive TCP candidate, which ICE (UDP only here) skips. The peer tries a TLS connection
     * there once the tunnel is open ({@link DirectTcpLane}).
     */
    static String directTcp(InetAddress address, int port) {
        return "candidate:" + DIRECT_TCP + " 1 tcp 1 " + address.getHostAddress() + " " + port + " typ host tcptype passive";
    }

    /** The direct TCP lane addresses a peer offered with {@link #directTcp} (at most {@code limit}, malformed lines skipped). */
    static List<java.net.InetSocketAddress> directTcpAddresses(List<String> lines, int limit) {
        List<java.net.InetSocketAddress> out = new java.util.ArrayList<>();
        for (String line : lines) {
            String[] f = line.strip().split(" +");
            if (out.size() < limit && f.length >= 8 && f[0].equals("candidate:" + DIRECT_TCP) && f[2].equalsIgnoreCase("tcp")
                    && f[6].equals("typ")) {
                InetAddress address = ipLiteral(f[4]);
                if (address != null && f[5].matches("\\d{1,5}")) {
                    int port = Integer.parseInt(f[5]);
                    if (port > 0 && port < 65536) {
                        out.add(new java.net.InetSocketAddress(address, port));
                    }
                }
            }
        }
        return out;
    }

    /** The addresses of the UDP host candidates among {@code lines} (IP literals only). */
    static List<InetAddress> hostAddresses(List<String> lines) {
        List<InetAddress> out = new java.util.ArrayList<>();
        for (String line : lines) {
            String[] f = line.strip().split(" +");
            if (f.length >= 8 && f[0].startsWith("candidate:") && "udp".equalsIgnoreCase(f[2]) && "typ".equals(f[6]) && "host".equals(f[7])) {
                InetAddress a = ipLiteral(f[4]);
                if (a != null) {
                    out.add(a);
                }
            }
        }
        return out;
    }

    /** An IPv4 literal, or null: host names are never looked up. */
    static InetAddress ipLiteral(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (!parts[i].matches("\\d{1,3}")) {
                return null;
            }
            int octet = Integer.parseInt(parts[i]);
            if (octet > 255) {
                return null;
            }
            bytes[i] = (byte) octet;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }
}
