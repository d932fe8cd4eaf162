package io.kedge.server.policy;

/** Whether an allocation may exchange data with a peer address, and why. */
public record PeerDecision(Verdict verdict, String reason) {
    public enum Verdict {
        /** A registered peer or an allowed network: relayed through the allocation's socket. */
        ALLOWED,
        /**
         * The relay's own relayed address: allowed, but data goes only to the allocation holding that
         * port (two agents that both need the relay talk relay-to-relay), never to another service.
         */
        RELAY_ITSELF,
        DENIED
    }

    public static PeerDecision allowed(String reason) {
        return new PeerDecision(Verdict.ALLOWED, reason);
    }

    public static PeerDecision denied(String reason) {
        return new PeerDecision(Verdict.DENIED, reason);
    }

    public boolean permitted() {
        return verdict != Verdict.DENIED;
    }
}
