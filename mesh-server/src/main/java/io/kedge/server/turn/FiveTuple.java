package io.kedge.server.turn;

import java.net.InetSocketAddress;

/** Client address, server address and transport: what identifies an allocation (RFC 8656 section 2). */
public record FiveTuple(InetSocketAddress client, InetSocketAddress server, ClientTransport transport) {
    @Override
    public String toString() {
        return transport.label() + " " + client.getAddress().getHostAddress() + ":" + client.getPort()
                + " -> " + server.getAddress().getHostAddress() + ":" + server.getPort();
    }
}
