package io.kedge.server.stun;

import java.util.Arrays;

/**
 * The key that signs a message with MESSAGE-INTEGRITY (HMAC-SHA1) or MESSAGE-INTEGRITY-SHA256. For
 * the long-term mechanism the key is MD5(username ":" realm ":" password); a response is signed
 * with the algorithm the request used.
 */
public record IntegrityKey(byte[] key, boolean sha256) {
    public IntegrityKey {
        key = key.clone();
    }

    @Override
    public byte[] key() {
        return key.clone();
    }

    byte[] raw() {
        return key;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IntegrityKey k && k.sha256 == sha256 && Arrays.equals(k.key, key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key) * 31 + Boolean.hashCode(sha256);
    }

    @Override
    public String toString() {
        return "IntegrityKey[" + (sha256 ? "SHA256" : "SHA1") + "]";
    }
}
