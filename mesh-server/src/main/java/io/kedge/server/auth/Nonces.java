package io.kedge.server.auth;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stateless NONCE values (RFC 8489 section 9.2): the expiry time and an HMAC over it and the
 * client's IP address under a key that lives only in this process. Checking one needs no table,
 * so clients that never authenticate cost no memory; a restart makes old nonces stale (438), and
 * clients simply retry with the new one.
 */
public final class Nonces {
    private static final int MAC_BYTES = 12;
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] key;
    private final long lifetimeSeconds;

    public Nonces(Duration lifetime) {
        this(lifetime, randomKey());
    }

    Nonces(Duration lifetime, byte[] key) {
        if (lifetime.toSeconds() < 1) {
            throw new IllegalArgumentException("nonce lifetime must be at least 1 s");
        }
        this.lifetimeSeconds = lifetime.toSeconds();
        this.key = key.clone();
    }

    private static byte[] randomKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    /** A fresh nonce for {@code client}, valid for the configured lifetime from {@code nowEpochSeconds}. */
    public String issue(InetAddress client, long nowEpochSeconds) {
        long expiry = nowEpochSeconds + lifetimeSeconds;
        return Long.toHexString(expiry) + "-" + HEX.formatHex(mac(expiry, client));
    }

    /** Whether {@code nonce} was issued here for {@code client} and has not expired. */
    public boolean valid(String nonce, InetAddress client, long nowEpochSeconds) {
        int dash = nonce.indexOf('-');
        if (dash < 1 || dash > 16 || nonce.length() != dash + 1 + 2 * MAC_BYTES) {
            return false;
        }
        long expiry;
        byte[] received;
        try {
            expiry = Long.parseUnsignedLong(nonce, 0, dash, 16);
            received = HEX.parseHex(nonce, dash + 1, nonce.length());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(mac(expiry, client), received) && expiry > nowEpochSeconds
                && expiry - nowEpochSeconds <= lifetimeSeconds;
    }

    private byte[] mac(long expiry, InetAddress client) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(ByteBuffer.allocate(8).putLong(expiry).array());
            mac.update(client.getAddress());
            byte[] full = mac.doFinal();
            byte[] out = new byte[MAC_BYTES];
            System.arraycopy(full, 0, out, 0, MAC_BYTES);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
