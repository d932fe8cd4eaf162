package io.kedge.server.quota;

/**
 * A token bucket in bytes: refills at {@code ratePerSecond} up to {@code burst}. Shared by every
 * allocation of one user across I/O threads, hence synchronized (uncontended in the common case).
 */
public final class TokenBucket {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long ratePerSecond;
    private final long burst;
    private long tokens;
    private long lastRefillNanos;

    public TokenBucket(long ratePerSecond, long burst, long nowNanos) {
        if (ratePerSecond <= 0 || burst <= 0) {
            throw new IllegalArgumentException("rate and burst must be positive");
        }
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
        this.tokens = burst;
        this.lastRefillNanos = nowNanos;
    }

    /** Takes {@code bytes} tokens if there are that many; false (and nothing taken) otherwise. */
    public synchronized boolean tryConsume(int bytes, long nowNanos) {
        long elapsed = nowNanos - lastRefillNanos;
        if (elapsed > 0) {
            // Whole tokens only; the remainder of the interval carries over to the next refill.
            long add = elapsed >= NANOS_PER_SECOND * 3600 ? burst : elapsed * ratePerSecond / NANOS_PER_SECOND;
            if (add > 0) {
                tokens = Math.min(burst, tokens + add);
                lastRefillNanos = add >= burst ? nowNanos : lastRefillNanos + add * NANOS_PER_SECOND / ratePerSecond;
            }
        }
        if (tokens < bytes) {
            return false;
        }
        tokens -= bytes;
        return true;
    }

    public synchronized long available() {
        return tokens;
    }
}
