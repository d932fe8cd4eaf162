package io.kedge.server.auth;

/** Where long-term credentials come from: usernames to passwords (RFC 8489 section 9.2). */
@FunctionalInterface
public interface CredentialStore {
    /** What is known about {@code username} at {@code nowEpochSeconds}; never null. */
    CredentialLookup lookup(String username, long nowEpochSeconds);
}
