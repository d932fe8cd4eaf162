package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IceFailuresTest {
    final AtomicLong now = new AtomicLong(1_000);
    final IceFailures failures = new IceFailures(Duration.ofNanos(100), now::get);

    @Test
    void aFailureIsRememberedForTheHoldTimeOnly() {
        assertThat(failures.recent("n1")).isFalse();
        failures.failed("n1");
        assertThat(failures.recent("n1")).isTrue();
        assertThat(failures.recent("n2")).isFalse();
        now.addAndGet(99);
        assertThat(failures.recent("n1")).isTrue();
        now.addAndGet(1);
        assertThat(failures.recent("n1")).isFalse();
    }

    @Test
    void anotherFailureExtendsTheHold() {
        failures.failed("n1");
        now.addAndGet(60);
        failures.failed("n1");
        now.addAndGet(60);
        assertThat(failures.recent("n1")).isTrue();
    }

    @Test
    void atMostSoManyPeersAreKept() {
        for (int i = 0; i < IceFailures.MAX_PEERS + 10; i++) {
            failures.failed("n" + i);
        }
        assertThat(failures.recent("n0")).isTrue();
        assertThat(failures.recent("n" + (IceFailures.MAX_PEERS - 1))).isTrue();
        assertThat(failures.recent("n" + IceFailures.MAX_PEERS)).isFalse();
        // Once the old ones expire there is room again.
        now.addAndGet(100);
        failures.failed("late");
        assertThat(failures.recent("late")).isTrue();
    }
}
