package io.kedge.agent.tunnel;

import java.time.Duration;

/**
 * How a tunnel that runs over a relay looks for a direct path ({@link PathUpgrades}): whether it
 * does, the wait before the first try, the most it waits between tries (the wait doubles after
 * each failed try), and how long the relayed connection may keep streams open after the move.
 */
public record PathUpgradePolicy(boolean enabled, Duration firstDelay, Duration maxDelay, Duration drainTimeout) {
    public static final PathUpgradePolicy DEFAULT = new PathUpgradePolicy(true, Duration.ofSeconds(30), Duration.ofMinutes(10),
            Duration.ofMinutes(2));

    /** Each wait is the doubled one times a factor in [1 - JITTER, 1 + JITTER), so that links set up together do not try in step. */
    static final double JITTER = 0.2;

    public PathUpgradePolicy {
        if (firstDelay == null || maxDelay == null || drainTimeout == null) {
            throw new IllegalArgumentException("firstDelay, maxDelay and drainTimeout are required");
        }
        if (firstDelay.toMillis() < 1 || maxDelay.compareTo(firstDelay) < 0 || drainTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("need 0 < firstDelay <= maxDelay and 0 < drainTimeout, got " + firstDelay + ", " + maxDelay
                    + ", " + drainTimeout);
        }
    }

    /**
     * The wait before the next try after {@code failures} failed ones: {@code firstDelay} doubled
     * per failure up to {@code maxDelay}, with jitter ({@code random} in [0, 1)).
     */
    Duration delay(int failures, double random) {
        double doubled = firstDelay.toMillis() * Math.pow(2, Math.min(Math.max(failures, 0), 40));
        double base = Math.min(maxDelay.toMillis(), doubled);
        return Duration.ofMillis(Math.max(1, Math.round(base * (1 - JITTER + 2 * JITTER * random))));
    }
}
