package io.kedge.server.quota;

import java.util.HashMap;
import java.util.Map;

/**
 * Per-user limits: how many allocations a principal (an agent, or a static user) may hold at once,
 * how many the whole relay holds, and one shared bandwidth bucket per principal for everything its
 * allocations relay in either direction.
 */
public final class Quotas {
    /** The answer to a request for one more allocation: a {@link Grant} or a {@link Refusal}. */
    public sealed interface Admission permits Grant, Refusal {
    }

    /** Why an allocation was refused. */
    public enum Refusal implements Admission { USER_QUOTA, SERVER_CAPACITY }

    private final int perUser;
    private final int total;
    private final long bytesPerSecond;
    private final long burstBytes;
    private final Map<String, Holder> holders = new HashMap<>();
    private int allocated;

    /**
     * @param bytesPerSecond per-principal bandwidth, or 0 for no limit
     */
    public Quotas(int perUser, int total, long bytesPerSecond, long burstBytes) {
        if (perUser < 1 || total < 1 || bytesPerSecond < 0 || (bytesPerSecond > 0 && burstBytes < 1)) {
            throw new IllegalArgumentException("invalid quotas");
        }
        this.perUser = perUser;
        this.total = total;
        this.bytesPerSecond = bytesPerSecond;
        this.burstBytes = burstBytes;
    }

    private static final class Holder {
        int allocations;
        final TokenBucket bandwidth;

        Holder(TokenBucket bandwidth) {
            this.bandwidth = bandwidth;
        }
    }

    /** A granted allocation slot: its bandwidth bucket (null when unlimited); release it exactly once. */
    public final class Grant implements Admission {
        private final String principal;
        private final TokenBucket bandwidth;
        private boolean released;

        private Grant(String principal, TokenBucket bandwidth) {
            this.principal = principal;
            this.bandwidth = bandwidth;
        }

        public TokenBucket bandwidth() {
            return bandwidth;
        }

        /** Whether {@code bytes} may be relayed now; always true without a bandwidth limit. */
        public boolean allowBytes(int bytes, long nowNanos) {
            return bandwidth == null || bandwidth.tryConsume(bytes, nowNanos);
        }

        public void release() {
            synchronized (Quotas.this) {
                if (released) {
                    return;
                }
                released = true;
                allocated--;
                Holder h = holders.get(principal);
                if (h != null && --h.allocations == 0) {
                    holders.remove(principal);
                }
            }
        }
    }

    /** A slot for one more allocation of {@code principal}, or the reason there is none. */
    public synchronized Admission tryAcquire(String principal, long nowNanos) {
        if (allocated >= total) {
            return Refusal.SERVER_CAPACITY;
        }
        Holder h = holders.get(principal);
        if (h != null && h.allocations >= perUser) {
            return Refusal.USER_QUOTA;
        }
        if (h == null) {
            h = new Holder(bytesPerSecond > 0 ? new TokenBucket(bytesPerSecond, burstBytes, nowNanos) : null);
            holders.put(principal, h);
        }
        h.allocations++;
        allocated++;
        return new Grant(principal, h.bandwidth);
    }

    public synchronized int allocations(String principal) {
        Holder h = holders.get(principal);
        return h == null ? 0 : h.allocations;
    }

    public synchronized int allocated() {
        return allocated;
    }
}
