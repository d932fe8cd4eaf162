package io.kedge.common.signaling;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * The messages agents and mesh-server exchange over the signaling connection (TLS, each message a
 * JSON object behind a 4-byte big-endian length). The agent starts with {@link Register}; the server
 * answers {@link Registered} or {@link Failure} and closes. After that the agent sends offers,
 * answers, trickled candidates and byes addressed to another node, and the server forwards them with
 * {@code from} set to the sender's authenticated name (what the sender wrote there is ignored).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = SignalMessage.Register.class, name = "register"),
        @JsonSubTypes.Type(value = SignalMessage.Registered.class, name = "registered"),
        @JsonSubTypes.Type(value = SignalMessage.Description.class, name = "description"),
        @JsonSubTypes.Type(value = SignalMessage.Candidate.class, name = "candidate"),
        @JsonSubTypes.Type(value = SignalMessage.Bye.class, name = "bye"),
        @JsonSubTypes.Type(value = SignalMessage.Keepalive.class, name = "keepalive"),
        @JsonSubTypes.Type(value = SignalMessage.RefreshCredentials.class, name = "refreshCredentials"),
        @JsonSubTypes.Type(value = SignalMessage.Credentials.class, name = "credentials"),
        @JsonSubTypes.Type(value = SignalMessage.Failure.class, name = "error"),
})
public sealed interface SignalMessage {
    /**
     * The first message of a connection.
     *
     * @param node      this agent's node name (with mutual TLS it must match the certificate's
     *                  {@code system:node:<name>})
     * @param token     the shared join token, where the server has no certificate authority
     * @param addresses this agent's own (host candidate) addresses, which the relay may then reach
     */
    record Register(String node, String token, List<String> addresses) implements SignalMessage {
        public Register {
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
        }

        @Override
        public String toString() {
            return "Register[node=" + node + ", addresses=" + addresses + "]";
        }
    }

    /**
     * The server accepted the registration.
     *
     * @param server   the server's name for itself (for the peer table)
     * @param observed the agent's address as the server saw it (its NAT's public side)
     */
    record Registered(String server, String node, String observed, RelayCredentials credentials) implements SignalMessage {
    }

    /**
     * An ICE offer ({@code kind} "offer") or answer ("answer") for session {@code session}: the ICE
     * username fragment and password, the candidates gathered so far (SDP a=candidate syntax) and
     * the SHA-256 fingerprint of the certificate the sender's transport will present.
     *
     * <p>"upgrade-offer" and "upgrade-answer" carry a second ICE negotiation for the open tunnel
     * {@code session} (one that runs over a relay looking for a direct path): the tunnel stays as it
     * is until that negotiation succeeds. An agent that does not know these kinds ignores them.
     */
    record Description(String from, String to, String session, String kind, String ufrag, String pwd, List<String> candidates,
                       String fingerprint) implements SignalMessage {
        public static final String OFFER = "offer";
        public static final String ANSWER = "answer";
        public static final String UPGRADE_OFFER = "upgrade-offer";
        public static final String UPGRADE_ANSWER = "upgrade-answer";
        public static final java.util.Set<String> KINDS = java.util.Set.of(OFFER, ANSWER, UPGRADE_OFFER, UPGRADE_ANSWER);

        public Description {
            candidates = candidates == null ? List.of() : List.copyOf(candidates);
        }

        public Description from(String sender) {
            return new Description(sender, to, session, kind, ufrag, pwd, candidates, fingerprint);
        }
    }

    /** A candidate gathered after the description was sent (trickle ICE). */
    record Candidate(String from, String to, String session, String candidate) implements SignalMessage {
        public Candidate from(String sender) {
            return new Candidate(sender, to, session, candidate);
        }
    }

    /** The sender gives up session {@code session} (closed, failed, or replaced). */
    record Bye(String from, String to, String session, String reason) implements SignalMessage {
        public Bye from(String sender) {
            return new Bye(sender, to, session, reason);
        }
    }

    /** Sent by the agent; echoed by the server with the same {@code seq}. Keeps NAT bindings and proves liveness. */
    record Keepalive(long seq) implements SignalMessage {
    }

    /** The agent asks for fresh relay credentials before the current ones expire. */
    record RefreshCredentials() implements SignalMessage {
    }

    /** Fresh relay credentials. */
    record Credentials(RelayCredentials credentials) implements SignalMessage {
    }

    /**
     * Something was refused. {@code code} is one of the constants; {@code session} names the
     * session it concerns, if any. After a failed registration the server closes the connection.
     */
    record Failure(String code, String message, String session) implements SignalMessage {
        public static final String UNAUTHENTICATED = "unauthenticated";
        public static final String NOT_REGISTERED = "not-registered";
        public static final String UNKNOWN_PEER = "unknown-peer";
        public static final String BAD_MESSAGE = "bad-message";
        public static final String OVERLOADED = "overloaded";
        public static final String REPLACED = "replaced";
    }

    /**
     * Short-lived TURN credentials (coturn's shared-secret scheme) and where to use them.
     *
     * @param uris RFC 7065 URIs such as {@code turn:203.0.113.11:3478?transport=udp}
     */
    record RelayCredentials(String username, String password, long expiresAtEpochSecond, List<String> uris) {
        public RelayCredentials {
            uris = uris == null ? List.of() : List.copyOf(uris);
        }

        @Override
        public String toString() {
            return "RelayCredentials[username=" + username + ", uris=" + uris + "]";
        }
    }
}
