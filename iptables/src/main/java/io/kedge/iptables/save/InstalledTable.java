package io.kedge.iptables.save;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** One table of an iptables-save dump, its chains in the order they were printed. */
public record InstalledTable(String name, Map<String, InstalledChain> chains) {
    public InstalledTable {
        chains = Collections.unmodifiableMap(new LinkedHashMap<>(chains));
    }

    public static InstalledTable empty(String name) {
        return new InstalledTable(name, Map.of());
    }

    public InstalledChain chain(String name) {
        return chains.get(name);
    }
}
