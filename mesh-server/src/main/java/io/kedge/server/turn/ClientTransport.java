package io.kedge.server.turn;

/** How a client reaches the relay. The relayed side is always UDP. */
public enum ClientTransport {
    UDP, TCP, TLS;

    public String label() {
        return name().toLowerCase();
    }

    public boolean stream() {
        return this != UDP;
    }
}
