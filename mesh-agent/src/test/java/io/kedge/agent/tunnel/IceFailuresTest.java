package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IceFailuresTest {
    final AtomicLong now = new AtomicLong(1_000);
    final IceFailures failures = new IceFailures(Duration.ofNanos(100), 1, now::get);

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
    void withAThresholdOfTwoOneFailureIsForgivenButTwoInTheHoldTimeAreNot() {
        IceFailures twice = new IceFailures(Duration.ofNanos(100), 2, now::get);
        twice.failed("n1");
        assertThat(twice.recent("n1")).isFalse();
        now.addAndGet(50);
        twice.failed("n1");
        assertThat(twice.recent("n1")).isTrue();
        now.addAndGet(100);
        assertThat(twice.recent("n1")).isFalse();
        // The count starts over once the hold time has passed.
        twice.failed("n1");
        assertThat(twice.recent("n1")).isFalse();
        now.addAndGet(150);
        twice.failed("n1");
        assertThat(twice.recent("n1")).isFalse();
    }

    @Test
    void aThresholdBelowOneIsRefused() {
        assertThatThrownBy(() -> new IceFailures(Duration.ofSeconds(1), 0, now::get)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threshold");
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
