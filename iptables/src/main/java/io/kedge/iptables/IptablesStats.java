package io.kedge.iptables;

import java.time.Instant;

/**
 * Counters for metrics and status pages, since the reconciler was built.
 *
 * @param syncs       finished syncs, whether or not they changed anything
 * @param applies     iptables-restore transactions that succeeded
 * @param repairs     syncs that found the kernel drifted away from an unchanged desired state
 *                    (rules deleted, flushed or reordered by someone else) and put it back
 * @param failures    syncs that failed
 * @param lastError   the message of the latest failure, or null if the latest sync succeeded
 * @param lastSync    when the latest successful sync finished, or null
 * @param lastApply   when the latest transaction was applied, or null
 * @param lastFailure when the latest failure happened, or null
 */
public record IptablesStats(long syncs, long applies, long repairs, long failures, String lastError,
                            Instant lastSync, Instant lastApply, Instant lastFailure) {
}
