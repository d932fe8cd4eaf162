package io.kedge.edge.hub;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Reconnect delays: exponential with "full jitter" (a uniform draw between a floor and the capped
 * exponential), so that thousands of edges that lost the cloud at the same moment do not all come
 * back at the same moment (KubeEdge waits a fixed 30 s).
 */
public final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private final RandomGenerator random;
    private int attempt;

    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.random = random;
    }

    /** The delay before the next attempt; each call doubles the ceiling, up to the maximum. */
    public synchronized Duration next() {
        long ceiling = initialMillis << Math.min(attempt, 30);
        if (ceiling <= 0 || ceiling > maxMillis) {
            ceiling = maxMillis;
        }
        attempt++;
        long floor = Math.min(initialMillis / 2, ceiling);
        return Duration.ofMillis(floor + (ceiling > floor ? random.nextLong(ceiling - floor + 1) : 0));
    }

    /** Connected: the next outage starts from the initial delay. */
    public synchronized void reset() {
        attempt = 0;
    }

    public int attempts() {
        return attempt;
    }
}
