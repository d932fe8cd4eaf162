package io.kedge.iptables;

import java.util.List;
import java.util.Map;

/** The iptables tables and the built-in chains each one has. */
public final class Tables {
    private static final Map<String, List<String>> BUILTIN_CHAINS = Map.of(
            "filter", List.of("INPUT", "FORWARD", "OUTPUT"),
            "nat", List.of("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
            "mangle", List.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
            "raw", List.of("PREROUTING", "OUTPUT"),
            "security", List.of("INPUT", "FORWARD", "OUTPUT"));

    private Tables() {
    }

    public static boolean isKnown(String table) {
        return BUILTIN_CHAINS.containsKey(table);
    }

    /** The built-in chains of {@code table} in the order iptables-save prints them; empty if unknown. */
    public static List<String> builtinChains(String table) {
        return BUILTIN_CHAINS.getOrDefault(table, List.of());
    }

    public static boolean isBuiltin(String table, String chain) {
        return builtinChains(table).contains(chain);
    }
}
