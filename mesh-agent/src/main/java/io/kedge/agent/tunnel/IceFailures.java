package io.kedge.agent.tunnel;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Peers that ICE recently failed to reach (no pair connected, or setup timed out during ICE):
 * for a while, new tunnels to them take the TCP relay path straight away instead of failing the
 * same way again. Covers what the UDP-blocked test cannot see, such as a peer whose private subnet
 * looks like our own LAN or a firewall that lets STUN through but not the peers' traffic. Bounded:
 * entries expire, and at most {@link #MAX_PEERS} are kept.
 */
final class IceFailures {
    static final int MAX_PEERS = 10_000;

    private final long holdNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Long> until = new ConcurrentHashMap<>();

    IceFailures(Duration hold, LongSupplier nanoClock) {
        this.holdNanos = hold.toNanos();
        this.nanoClock = nanoClock;
    }

    void failed(String peer) {
        expire();
        if (until.size() < MAX_PEERS || until.containsKey(peer)) {
            until.put(peer, nanoClock.getAsLong() + holdNanos);
        }
    }

    /** Whether ICE to {@code peer} failed within the hold time. */
    boolean recent(String peer) {
        Long t = until.get(peer);
        if (t == null) {
            return false;
        }
        if (nanoClock.getAsLong() - t >= 0) {
            until.remove(peer, t);
            return false;
        }
        return true;
    }

    void expire() {
        long now = nanoClock.getAsLong();
        until.values().removeIf(t -> now - t >= 0);
    }
}
