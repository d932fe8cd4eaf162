package io.kedge.iptables;

/** What started a sync. */
public enum Trigger {
    /** The caller handed over a new desired state. */
    UPDATE,
    /** The caller asked for a check with {@link IptablesReconciler#sync()}. */
    SYNC,
    /** The periodic resync. */
    RESYNC,
    /** Removal of everything of the owner's. */
    CLEANUP
}
