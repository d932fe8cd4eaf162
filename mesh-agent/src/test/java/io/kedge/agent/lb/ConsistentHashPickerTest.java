package io.kedge.agent.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ConsistentHashPickerTest {
    private static final Predicate<String> NONE = b -> false;
    private static final RingParameters RING = RingParameters.EDGEMESH_DEFAULTS;
    private static final List<String> KEYS = IntStream.range(0, 20000).mapToObj(i -> "client-" + i).toList();

    private static List<String> backends(int n) {
        return IntStream.range(0, n).mapToObj(i -> "198.18.0." + (10 + i) + ":8080").toList();
    }

    private static Map<String, String> assignment(List<String> backends) {
        ConsistentHashPicker<String> picker = new ConsistentHashPicker<>(backends, b -> b, RING);
        Map<String, String> out = new HashMap<>();
        KEYS.forEach(k -> out.put(k, picker.pick(k, NONE)));
        return out;
    }

    @Test
    void sameKeySameBackendWhateverTheListOrder() {
        List<String> five = backends(5);
        List<String> reversed = new ArrayList<>(five);
        java.util.Collections.reverse(reversed);
        ConsistentHashPicker<String> one = new ConsistentHashPicker<>(five, b -> b, RING);
        ConsistentHashPicker<String> other = new ConsistentHashPicker<>(reversed, b -> b, RING);
        for (String key : KEYS.subList(0, 1000)) {
            String first = one.pick(key, NONE);
            assertThat(one.pick(key, NONE)).isEqualTo(first);
            assertThat(other.pick(key, NONE)).isEqualTo(first);
        }
    }

    @Test
    void keysSpreadOverEveryBackend() {
        Map<String, Long> perBackend = new HashMap<>();
        assignment(backends(4)).values().forEach(b -> perBackend.merge(b, 1L, Long::sum));
        assertThat(perBackend).hasSize(4);
        // 5000 each if perfectly even; bounded loads cap a backend at 1.25 x its share of partitions.
        perBackend.values().forEach(n -> assertThat(n).isBetween(2000L, 7500L));
    }

    @Test
    void noBackendOwnsMoreThanItsBoundedShareOfPartitions() {
        for (int n = 1; n <= 17; n++) {
            ConsistentHashPicker<String> picker = new ConsistentHashPicker<>(backends(n), b -> b, RING);
            int max = ConsistentHashPicker.maxPartitionsPerBackend(100, n, 1.25);
            Map<String, Integer> owned = picker.partitionsOwned();
            assertThat(owned.values().stream().mapToInt(Integer::intValue).sum()).as("n=%d", n).isEqualTo(100);
            owned.values().forEach(count -> assertThat(count).isLessThanOrEqualTo(max));
        }
        // A tight bound is honoured too.
        ConsistentHashPicker<String> tight = new ConsistentHashPicker<>(backends(7), b -> b, new RingParameters(100, 10, 1.0));
        tight.partitionsOwned().values().forEach(count -> assertThat(count).isLessThanOrEqualTo(15));
    }

    @Test
    void addingABackendMovesFewKeysAndOnlyToTheNewcomer() {
        Map<String, String> before = assignment(backends(5));
        Map<String, String> after = assignment(backends(6));
        String newcomer = backends(6).get(5);
        long moved = KEYS.stream().filter(k -> !before.get(k).equals(after.get(k))).count();
        long movedToNewcomer = KEYS.stream().filter(k -> !before.get(k).equals(after.get(k)) && after.get(k).equals(newcomer)).count();
        // Ideal: 1/6 of keys move, all to the newcomer. Modulo hashing would move 5/6.
        assertThat((double) moved / KEYS.size()).isLessThan(0.40);
        assertThat((double) movedToNewcomer / moved).isGreaterThan(0.5);
    }

    @Test
    void removingABackendMovesMostlyItsOwnKeys() {
        List<String> six = backends(6);
        String removed = six.get(2);
        Map<String, String> before = assignment(six);
        List<String> five = new ArrayList<>(six);
        five.remove(removed);
        Map<String, String> after = assignment(five);
        long orphaned = KEYS.stream().filter(k -> before.get(k).equals(removed)).count();
        long movedSurvivorKeys = KEYS.stream().filter(k -> !before.get(k).equals(removed) && !before.get(k).equals(after.get(k))).count();
        assertThat(orphaned).isPositive();
        // Keys of surviving backends mostly stay where they were.
        assertThat((double) movedSurvivorKeys / (KEYS.size() - orphaned)).isLessThan(0.25);
        KEYS.forEach(k -> assertThat(after.get(k)).isNotEqualTo(removed));
    }

    @Test
    void retryWalksToAnotherBackendDeterministically() {
        ConsistentHashPicker<String> picker = new ConsistentHashPicker<>(backends(4), b -> b, RING);
        for (String key : KEYS.subList(0, 200)) {
            String owner = picker.pick(key, NONE);
            String second = picker.pick(key, owner::equals);
            assertThat(second).isNotNull().isNotEqualTo(owner);
            assertThat(picker.pick(key, owner::equals)).isEqualTo(second);
        }
    }

    @Test
    void withoutAKeyItRoundRobins() {
        ConsistentHashPicker<String> picker = new ConsistentHashPicker<>(backends(3), b -> b, RING);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            counts.merge(picker.pick(null, NONE), 1, Integer::sum);
        }
        assertThat(counts.values()).containsOnly(100);
    }
}
