package io.kedge.server.auth;

import io.kedge.server.stun.IntegrityKey;

/** The result of checking a request's long-term credentials. */
public sealed interface AuthOutcome {
    /** The request is signed by {@code username}; responses are signed with {@code key}. */
    record Authenticated(String username, String principal, IntegrityKey key) implements AuthOutcome {
    }

    /**
     * The request must be refused with {@code code}. When {@code nonce} is not null the response
     * carries REALM and NONCE so that the client can (re)try: 401 and 438 do, 400 does not.
     * {@code failure} names the cause for metrics and logs, or is null for the ordinary challenge
     * that starts every authenticated exchange.
     */
    record Rejected(int code, String reason, String realm, String nonce, String failure) implements AuthOutcome {
    }
}
