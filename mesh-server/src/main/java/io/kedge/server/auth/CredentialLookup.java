package io.kedge.server.auth;

import java.util.List;

/**
 * What a {@link CredentialStore} knows about a username: the passwords that may have keyed its
 * messages (more than one while shared secrets rotate), the principal that quotas are charged to,
 * and whether the credentials have expired.
 */
public record CredentialLookup(Status status, String principal, List<String> passwords) {
    public enum Status { UNKNOWN, VALID, EXPIRED }

    public static final CredentialLookup UNKNOWN = new CredentialLookup(Status.UNKNOWN, null, List.of());

    public CredentialLookup {
        passwords = List.copyOf(passwords);
    }

    public static CredentialLookup valid(String principal, List<String> passwords) {
        return new CredentialLookup(Status.VALID, principal, passwords);
    }

    public static CredentialLookup expired(String principal, List<String> passwords) {
        return new CredentialLookup(Status.EXPIRED, principal, passwords);
    }
}
