package io.kedge.server.quota;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QuotasTest {
    @Test
    void perUserAndTotalAllocationLimits() {
        Quotas q = new Quotas(2, 3, 0, 0);
        Quotas.Grant a1 = (Quotas.Grant) q.tryAcquire("a", 0);
        q.tryAcquire("a", 0);
        assertThat(q.tryAcquire("a", 0)).isEqualTo(Quotas.Refusal.USER_QUOTA);
        assertThat(q.tryAcquire("b", 0)).isInstanceOf(Quotas.Grant.class);
        assertThat(q.tryAcquire("c", 0)).isEqualTo(Quotas.Refusal.SERVER_CAPACITY);
        a1.release();
        a1.release(); // released once only
        assertThat(q.allocated()).isEqualTo(2);
        assertThat(q.allocations("a")).isEqualTo(1);
        assertThat(q.tryAcquire("c", 0)).isInstanceOf(Quotas.Grant.class);
        assertThat(q.tryAcquire("d", 0)).isEqualTo(Quotas.Refusal.SERVER_CAPACITY);
    }

    @Test
    void unlimitedBandwidthAlwaysAllows() {
        Quotas.Grant g = (Quotas.Grant) new Quotas(1, 1, 0, 0).tryAcquire("a", 0);
        assertThat(g.bandwidth()).isNull();
        assertThat(g.allowBytes(Integer.MAX_VALUE, 0)).isTrue();
    }

    @Test
    void allocationsOfOneUserShareOneBucket() {
        Quotas q = new Quotas(5, 10, 1000, 1000);
        Quotas.Grant g1 = (Quotas.Grant) q.tryAcquire("a", 0);
        Quotas.Grant g2 = (Quotas.Grant) q.tryAcquire("a", 0);
        assertThat(g1.bandwidth()).isSameAs(g2.bandwidth());
        assertThat(g1.allowBytes(600, 0)).isTrue();
        assertThat(g2.allowBytes(600, 0)).isFalse();
        Quotas.Grant other = (Quotas.Grant) q.tryAcquire("b", 0);
        assertThat(other.allowBytes(1000, 0)).isTrue();
    }

    @Test
    void tokenBucketRefillsAtItsRateUpToItsBurst() {
        TokenBucket b = new TokenBucket(1000, 2000, 0);
        assertThat(b.tryConsume(2000, 0)).isTrue();
        assertThat(b.tryConsume(1, 0)).isFalse();
        assertThat(b.tryConsume(500, 500_000_000L)).isTrue();
        assertThat(b.tryConsume(1, 500_000_000L)).isFalse();
        // Many small refills add up exactly (no rounding loss).
        for (long t = 500_000_000L; t < 1_500_000_000L; t += 1_000_000L) {
            b.tryConsume(0, t);
        }
        assertThat(b.available()).isEqualTo(999);
        // A long pause refills to the burst, not beyond.
        assertThat(b.tryConsume(0, 10_000_000_000_000L)).isTrue();
        assertThat(b.available()).isEqualTo(2000);
    }
}
