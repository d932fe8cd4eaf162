package io.kedge.agent.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.catalog.LoadBalancerPolicy.Kind;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class BalancerTest {
    private static final List<String> THREE = List.of("a", "b", "c");
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private AffinityTable affinity(int seconds, int max) {
        return new AffinityTable(Duration.ofSeconds(seconds), max, clock::get);
    }

    private Balancer<String> balancer(Kind kind, List<String> backends, AffinityTable affinity) {
        return Balancer.forPolicy(kind, backends, Function.identity(), b -> 0, RingParameters.EDGEMESH_DEFAULTS, affinity,
                new Random(11));
    }

    @Test
    void withoutAffinityThePolicyDecides() {
        Balancer<String> rr = balancer(Kind.ROUND_ROBIN, THREE, null);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            seen.add(rr.pick("198.51.100.7", null, b -> false));
        }
        assertThat(seen).containsExactlyInAnyOrder("a", "b", "c");
    }

    @Test
    void clientIpAffinityWinsOverThePolicy() {
        Balancer<String> rr = balancer(Kind.ROUND_ROBIN, THREE, affinity(60, 100));
        String first = rr.pick("198.51.100.7", null, b -> false);
        for (int i = 0; i < 20; i++) {
            clock.addAndGet(Duration.ofSeconds(30).toNanos());
            assertThat(rr.pick("198.51.100.7", null, b -> false)).isEqualTo(first);
        }
        // Another client is still balanced by the policy.
        assertThat(rr.pick("198.51.100.8", null, b -> false)).isNotEqualTo(first);
    }

    @Test
    void affinityExpiresAfterItsTimeoutWithoutUse() {
        AffinityTable table = affinity(10, 100);
        Balancer<String> rr = balancer(Kind.ROUND_ROBIN, THREE, table);
        String first = rr.pick("198.51.100.7", null, b -> false);
        clock.addAndGet(Duration.ofSeconds(9).toNanos());
        assertThat(table.lookup("198.51.100.7")).isEqualTo(first);
        clock.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(table.lookup("198.51.100.7")).isNull();
        // Round robin moves on, so the re-balanced client lands elsewhere.
        assertThat(rr.pick("198.51.100.7", null, b -> false)).isNotEqualTo(first);
    }

    @Test
    void affinityToAnExcludedOrVanishedBackendRebinds() {
        AffinityTable table = affinity(60, 100);
        Balancer<String> rr = balancer(Kind.ROUND_ROBIN, THREE, table);
        String first = rr.pick("198.51.100.7", null, b -> false);
        String retry = rr.pick("198.51.100.7", null, first::equals);
        assertThat(retry).isNotEqualTo(first);
        assertThat(table.lookup("198.51.100.7")).isEqualTo(retry);

        List<String> without = THREE.stream().filter(b -> !b.equals(retry)).toList();
        Balancer<String> updated = balancer(Kind.ROUND_ROBIN, without, table);
        String after = updated.pick("198.51.100.7", null, b -> false);
        assertThat(after).isIn(without);
        assertThat(updated.pick("198.51.100.7", null, b -> false)).isEqualTo(after);
    }

    @Test
    void affinityTableIsBoundedAndSweepsExpiredEntries() {
        AffinityTable table = affinity(10, 3);
        Balancer<String> rr = balancer(Kind.ROUND_ROBIN, THREE, table);
        for (int i = 0; i < 5; i++) {
            rr.pick("198.51.100." + i, null, b -> false);
        }
        assertThat(table.size()).isEqualTo(3);
        assertThat(table.lookup("198.51.100.4")).isNull();
        clock.addAndGet(Duration.ofSeconds(11).toNanos());
        rr.pick("198.51.100.9", null, b -> false);
        assertThat(table.size()).isEqualTo(1);
        assertThat(table.lookup("198.51.100.9")).isNotNull();
    }

    @Test
    void consistentHashIsStickyPerKey() {
        Balancer<String> ch = balancer(Kind.CONSISTENT_HASH, THREE, null);
        String forAlice = ch.pick("198.51.100.7", "alice", b -> false);
        for (int i = 0; i < 10; i++) {
            assertThat(ch.pick("198.51.100." + i, "alice", b -> false)).isEqualTo(forAlice);
        }
    }
}
