package io.kedge.iptables;

/** One difference between the desired and the installed rules that a sync repaired. */
public record Change(TableKey table, String chain, ChangeKind kind, String detail) {
    @Override
    public String toString() {
        return table + " " + chain + ": " + kind + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")");
    }
}
