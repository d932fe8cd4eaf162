package io.kedge.iptables;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one table of one family should hold: the owner's chains with their rules in order, and per
 * built-in chain the jumps that must head it, in order.
 */
public record DesiredTable(Map<String, List<PlacedRule>> chains, Map<String, List<PlacedRule>> jumps) {
    public static final DesiredTable EMPTY = new DesiredTable(Map.of(), Map.of());

    public DesiredTable {
        chains = copy(chains);
        jumps = copy(jumps);
    }

    public List<PlacedRule> jumpsFrom(String builtinChain) {
        return jumps.getOrDefault(builtinChain, List.of());
    }

    public boolean isEmpty() {
        return chains.isEmpty() && jumps.isEmpty();
    }

    private static Map<String, List<PlacedRule>> copy(Map<String, List<PlacedRule>> map) {
        // Insertion order is kept: it decides the order of the restore input, which golden files pin.
        Map<String, List<PlacedRule>> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(copy);
    }
}
