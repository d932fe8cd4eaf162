package io.kedge.agent.tunnel;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Peers that ICE recently failed to reach (no pair connected, or setup timed out during ICE):
 * once ICE to a peer has failed {@code threshold} times within the hold time, new tunnels to it
 * take the TCP relay path straight away instead of failing the same way again. One failure is
 * not enough: a single check list can fail on a loaded machine or a lost burst of checks, and a
 * second ICE round usually gets through on the path ICE should find. Both ends count their own
 * failures, so they agree without saying so. Covers what the UDP-blocked test cannot see, such
 * as a peer whose private subnet looks like our own LAN or a firewall that lets STUN through but
 * not the peers' traffic. Bounded: entries expire, and at most {@link #MAX_PEERS} are kept.
 */
final class IceFailures {
    static final int MAX_PEERS = 10_000;

    private record Failures(int count, long untilNanos) {
    }

    private final long holdNanos;
    private final int threshold;
    private final LongSupplier nanoClock;
    private final Map<String, Failures> failures = new ConcurrentHashMap<>();

    IceFailures(Duration hold, int threshold, LongSupplier nanoClock) {
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold must be at least 1: " + threshold);
        }
        this.holdNanos = hold.toNanos();
        this.threshold = threshold;
        this.nanoClock = nanoClock;
    }

    void failed(String peer) {
        expire();
        long now = nanoClock.getAsLong();
        if (failures.size() < MAX_PEERS || failures.containsKey(peer)) {
            failures.compute(peer, (p, f) -> new Failures(f == null || now - f.untilNanos >= 0 ? 1 : f.count + 1, now + holdNanos));
        }
    }

    /** Whether ICE to {@code peer} failed at least {@code threshold} times, the last within the hold time. */
    boolean recent(String peer) {
        Failures f = failures.get(peer);
        if (f == null) {
            return false;
        }
        if (nanoClock.getAsLong() - f.untilNanos >= 0) {
            failures.remove(peer, f);
            return false;
        }
        return f.count >= threshold;
    }

    void expire() {
        long now = nanoClock.getAsLong();
        failures.values().removeIf(f -> now - f.untilNanos >= 0);
    }
}
