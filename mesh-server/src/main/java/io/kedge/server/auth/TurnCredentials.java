package io.kedge.server.auth;

import java.time.Instant;

/** A username and password for the relay, valid until {@code expiresAt}. */
public record TurnCredentials(String username, String password, Instant expiresAt) {
    @Override
    public String toString() {
        return "TurnCredentials[username=" + username + ", expiresAt=" + expiresAt + "]";
    }
}
