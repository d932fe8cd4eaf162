package io.kedge.agent.lb;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Kubernetes {@code sessionAffinity: ClientIP}: the backend each client IP was last sent to, kept
 * for {@code timeout} after its last use. Backends are remembered by id, so the table outlives
 * endpoint changes (an entry whose backend is gone is simply not honoured). Bounded: at most
 * {@code maxEntries} clients; past that expired entries are swept, and if none has expired a new
 * client is balanced without being remembered.
 */
public final class AffinityTable {
    private final long timeoutNanos;
    private final int maxEntries;
    private final LongSupplier nanoClock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    private static final class Entry {
        final String backendId;
        volatile long lastUsed;

        Entry(String backendId, long lastUsed) {
            this.backendId = backendId;
            this.lastUsed = lastUsed;
        }
    }

    public AffinityTable(Duration timeout, int maxEntries, LongSupplier nanoClock) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("affinity timeout must be positive, got " + timeout);
        }
        this.timeoutNanos = timeout.toNanos();
        this.maxEntries = maxEntries;
        this.nanoClock = nanoClock;
    }

    public Duration timeout() {
        return Duration.ofNanos(timeoutNanos);
    }

    /** The backend id {@code clientIp} is bound to, refreshing its timer; null when unbound or expired. */
    public String lookup(String clientIp) {
        Entry e = entries.get(clientIp);
        if (e == null) {
            return null;
        }
        long now = nanoClock.getAsLong();
        if (now - e.lastUsed >= timeoutNanos) {
            entries.remove(clientIp, e);
            return null;
        }
        e.lastUsed = now;
        return e.backendId;
    }

    /** Binds {@code clientIp} to {@code backendId} from now on. */
    public void bind(String clientIp, String backendId) {
        if (entries.size() >= maxEntries && !entries.containsKey(clientIp)) {
            sweep();
            if (entries.size() >= maxEntries) {
                return;
            }
        }
        entries.put(clientIp, new Entry(backendId, nanoClock.getAsLong()));
    }

    /** Drops expired entries. */
    public void sweep() {
        long now = nanoClock.getAsLong();
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            if (now - it.next().lastUsed >= timeoutNanos) {
                it.remove();
            }
        }
    }

    public int size() {
        return entries.size();
    }
}
