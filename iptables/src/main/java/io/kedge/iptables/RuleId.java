package io.kedge.iptables;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The identity of a desired rule: a hash of where it goes and what it says. Comparing ids instead of
 * rule text sidesteps the way iptables-save rewrites rules ({@code -p tcp --dport 80} comes back as
 * {@code -p tcp -m tcp --dport 80}, addresses gain {@code /32}, options move), which differs between
 * backends and versions.
 */
final class RuleId {
    /** Hex digits kept: 64 bits, ample to tell apart the rules of one chain. */
    static final int LENGTH = 16;

    private RuleId() {
    }

    static String of(IpFamily family, String table, String chain, List<String> args, String description) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            update(digest, family.name());
            update(digest, table);
            update(digest, chain);
            update(digest, String.valueOf(args.size()));
            for (String arg : args) {
                update(digest, arg);
            }
            update(digest, description);
            return HexFormat.of().formatHex(digest.digest()).substring(0, LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    private static void update(MessageDigest digest, String part) {
        // Length-prefixed, so that ("ab", "c") and ("a", "bc") hash differently.
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        digest.update((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
        digest.update(bytes);
    }
}
