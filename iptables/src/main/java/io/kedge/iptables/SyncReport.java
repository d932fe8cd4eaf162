package io.kedge.iptables;

import java.time.Instant;
import java.util.List;

/**
 * The outcome of one successful sync: the differences it found and repaired (empty when the kernel
 * already matched) and how many iptables-restore transactions that took.
 */
public record SyncReport(Trigger trigger, Instant at, List<Change> changes, int transactions) {
    public SyncReport {
        changes = List.copyOf(changes);
    }

    /** Whether anything was applied. */
    public boolean changed() {
        return transactions > 0;
    }
}
