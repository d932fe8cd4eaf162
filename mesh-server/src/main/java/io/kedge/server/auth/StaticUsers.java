package io.kedge.server.auth;

import java.util.List;
import java.util.Map;

/** Fixed usernames and passwords from the configuration (for tests and interop, not for agents). */
public final class StaticUsers implements CredentialStore {
    private final Map<String, String> passwords;

    public StaticUsers(Map<String, String> passwords) {
        this.passwords = Map.copyOf(passwords);
    }

    @Override
    public CredentialLookup lookup(String username, long nowEpochSeconds) {
        String password = passwords.get(username);
        return password == null ? CredentialLookup.UNKNOWN : CredentialLookup.valid(username, List.of(password));
    }
}
