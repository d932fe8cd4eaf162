package io.kedge.iptables.save;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** What iptables-save printed for one family: its tables, by name. */
public record Ruleset(Map<String, InstalledTable> tables) {
    public static final Ruleset EMPTY = new Ruleset(Map.of());

    public Ruleset {
        tables = Collections.unmodifiableMap(new LinkedHashMap<>(tables));
    }

    /** The table, or an empty one if the dump did not have it. */
    public InstalledTable table(String name) {
        return tables.getOrDefault(name, InstalledTable.empty(name));
    }

    /** Both dumps' tables; where both have a table, {@code other}'s wins. */
    public Ruleset merge(Ruleset other) {
        Map<String, InstalledTable> merged = new LinkedHashMap<>(tables);
        merged.putAll(other.tables);
        return new Ruleset(merged);
    }
}
