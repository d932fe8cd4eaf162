package io.kedge.iptables;

import java.util.Comparator;

/** One table of one address family, e.g. IPv4 {@code nat}: the unit iptables-restore commits. */
public record TableKey(IpFamily family, String table) implements Comparable<TableKey> {
    private static final Comparator<TableKey> ORDER = Comparator.comparing(TableKey::family).thenComparing(TableKey::table);

    public TableKey {
        if (family == null || table == null) {
            throw new IllegalArgumentException("family and table are required");
        }
        if (!Tables.isKnown(table)) {
            throw new IllegalArgumentException("unknown iptables table '" + table + "' (filter, nat, mangle, raw or security)");
        }
    }

    @Override
    public int compareTo(TableKey other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return family.command() + " " + table;
    }
}
