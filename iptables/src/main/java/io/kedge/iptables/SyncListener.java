package io.kedge.iptables;

/**
 * Told about every sync, on the thread that ran it (the caller's, or the resync thread), while no
 * other sync can run: keep it short and do not call back into the reconciler.
 */
public interface SyncListener {
    /** A sync finished; {@link SyncReport#changed()} says whether it had to apply anything. */
    default void synced(SyncReport report) {
    }

    /** A sync failed; the previously installed rules are unchanged unless the error says otherwise. */
    default void failed(Trigger trigger, IptablesException error) {
    }
}
