package io.kedge.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Time-limited credentials derived from a shared secret, compatible with coturn's
 * {@code use-auth-secret} ("TURN REST API"): the username is {@code "<unix expiry>:<agent id>"} and
 * the password is {@code base64(HMAC-SHA1(secret, username))}. Nothing is stored per agent: any
 * holder of the secret (signaling, or coturn's tools in tests) can mint credentials, and the relay
 * checks them by recomputing the password. Several secrets may be configured so that one can be
 * rotated: the first issues, all are accepted.
 */
public final class SharedSecretCredentials implements CredentialStore, CredentialIssuer {
    /** Longest lifetime {@link #issue} grants. */
    public static final Duration MAX_TTL = Duration.ofDays(7);
    static final int MAX_AGENT_ID_LENGTH = 253;

    private final List<byte[]> secrets;
    private final Clock clock;

    public SharedSecretCredentials(List<String> secrets, Clock clock) {
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("at least one shared secret is needed");
        }
        this.secrets = new ArrayList<>();
        for (String s : secrets) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("shared secrets must not be empty");
            }
            this.secrets.add(s.getBytes(StandardCharsets.UTF_8));
        }
        this.clock = clock;
    }

    /** The password coturn's scheme derives from {@code secret} for {@code username}. */
    public static String password(String secret, String username) {
        return password(secret.getBytes(StandardCharsets.UTF_8), username);
    }

    private static String password(byte[] secret, String username) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret, "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 unavailable", e);
        }
    }

    @Override
    public TurnCredentials issue(String agentId, Duration ttl) {
        checkAgentId(agentId);
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("ttl must be between 1 s and " + MAX_TTL + ", not " + ttl);
        }
        long expiry = clock.instant().plus(ttl).getEpochSecond();
        String username = expiry + ":" + agentId;
        return new TurnCredentials(username, password(secrets.get(0), username), Instant.ofEpochSecond(expiry));
    }

    @Override
    public CredentialLookup lookup(String username, long nowEpochSeconds) {
        int colon = username.indexOf(':');
        if (colon <= 0 || colon > 19 || colon == username.length() - 1) {
            return CredentialLookup.UNKNOWN;
        }
        long expiry = 0;
        for (int i = 0; i < colon; i++) {
            char c = username.charAt(i);
            if (c < '0' || c > '9') {
                return CredentialLookup.UNKNOWN;
            }
            expiry = expiry * 10 + (c - '0');
        }
        String agentId = username.substring(colon + 1);
        List<String> passwords = new ArrayList<>(secrets.size());
        for (byte[] secret : secrets) {
            passwords.add(password(secret, username));
        }
        return expiry > nowEpochSeconds ? CredentialLookup.valid(agentId, passwords) : CredentialLookup.expired(agentId, passwords);
    }

    static void checkAgentId(String agentId) {
        if (agentId == null || agentId.isEmpty() || agentId.length() > MAX_AGENT_ID_LENGTH) {
            throw new IllegalArgumentException("agent id must be 1 to " + MAX_AGENT_ID_LENGTH + " characters");
        }
        for (int i = 0; i < agentId.length(); i++) {
            char c = agentId.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new IllegalArgumentException("agent id must be printable ASCII without spaces: \"" + agentId + "\"");
            }
        }
    }
}
