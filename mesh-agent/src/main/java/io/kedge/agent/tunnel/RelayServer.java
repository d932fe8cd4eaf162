package io.kedge.agent.tunnel;

import io.kedge.common.signaling.SignalMessage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A mesh-server's STUN/TURN address with the credentials it issued to this agent.
 *
 * @param transport "udp", "tcp" or "tls" (RFC 7065 {@code turn:} or {@code turns:} with {@code transport=})
 */
record RelayServer(String server, InetSocketAddress address, String transport, String username, String password) {
    /** The UDP, TCP and TLS relays among {@code credentials}' URIs (ICE uses the UDP ones; the TCP relay path the others). */
    static List<RelayServer> from(String server, SignalMessage.RelayCredentials credentials) {
        List<RelayServer> out = new ArrayList<>();
        if (credentials == null) {
            return out;
        }
        for (String uri : credentials.uris()) {
            boolean secure = uri.startsWith("turns:");
            if (!secure && !uri.startsWith("turn:")) {
                continue;
            }
            String rest = uri.substring(secure ? "turns:".length() : "turn:".length());
            String transport = secure ? "tls" : "udp";
            int q = rest.indexOf('?');
            if (q >= 0) {
                String query = rest.substring(q + 1);
                rest = rest.substring(0, q);
                if (query.equals("transport=tcp")) {
                    transport = secure ? "tls" : "tcp";
                } else if (secure || !query.equals("transport=udp")) {
                    continue;
                }
            }
            int colon = rest.lastIndexOf(':');
            if (colon <= 0) {
                continue;
            }
            InetAddress host = IceCandidates.ipLiteral(rest.substring(0, colon));
            int port;
            try {
                port = Integer.parseInt(rest.substring(colon + 1));
            } catch (NumberFormatException e) {
                continue;
            }
            if (host != null && port > 0 && port < 65536) {
                out.add(new RelayServer(server, new InetSocketAddress(host, port), transport, credentials.username(), credentials.password()));
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "RelayServer[" + server + " " + transport + " " + address + "]";
    }
}
