package io.kedge.iptables.backend;

import io.kedge.common.config.ConfigException;
import java.util.Locale;

/** Which variant to use: detected, or forced by configuration. */
public enum BackendMode {
    AUTO,
    NFT,
    LEGACY;

    /** Parses a config value ({@code auto}, {@code nft} or {@code legacy}); the error names {@code key}. */
    public static BackendMode parse(String key, String value) {
        if (value != null) {
            switch (value.strip().toLowerCase(Locale.ROOT)) {
                case "auto":
                    return AUTO;
                case "nft":
                case "nf_tables":
                    return NFT;
                case "legacy":
                    return LEGACY;
                default:
                    break;
            }
        }
        throw new ConfigException(key, value, "must be auto, nft or legacy");
    }

    /** The variant this mode forces, or null for {@link #AUTO}. */
    public Variant forced() {
        return switch (this) {
            case AUTO -> null;
            case NFT -> Variant.NFT;
            case LEGACY -> Variant.LEGACY;
        };
    }
}
