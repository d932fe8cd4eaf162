package io.kedge.iptables;

/** Why a sync had to touch the kernel's rules. */
public enum ChangeKind {
    /** A desired owned chain does not exist. */
    CHAIN_MISSING,
    /** An owned chain exists but its rules are not exactly the desired ones in order (missing, extra, changed or reordered). */
    CHAIN_CHANGED,
    /** An owned chain exists that is not desired (left by a crash, an older version or another run): removed. */
    STALE_CHAIN,
    /** A desired jump is not in its built-in chain. */
    JUMP_MISSING,
    /** The desired jumps are there but no longer head their built-in chain (another tool inserted rules before them). */
    JUMP_NOT_FIRST,
    /** A jump of ours is installed more than once. */
    DUPLICATE_JUMP,
    /** A rule with our comment in a chain we do not own is not desired (any more): removed. */
    STALE_JUMP,
    /** A rule without our comment points at a stale chain of ours: removed so that the chain can go. */
    STALE_REFERENCE
}
