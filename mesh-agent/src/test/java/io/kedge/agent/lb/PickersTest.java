package io.kedge.agent.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class PickersTest {
    private static final Predicate<String> NONE = b -> false;
    private static final List<String> THREE = List.of("a", "b", "c");

    private static Map<String, Integer> tally(Picker<String> picker, int picks, Predicate<String> excluded) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(picker.pick(null, excluded), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void roundRobinIsExactlyEven() {
        assertThat(tally(new RoundRobinPicker<>(THREE), 300, NONE)).containsOnly(
                Map.entry("a", 100), Map.entry("b", 100), Map.entry("c", 100));
    }

    @Test
    void roundRobinStepsOverExcludedBackends() {
        Map<String, Integer> counts = tally(new RoundRobinPicker<>(THREE), 300, "b"::equals);
        assertThat(counts).doesNotContainKey("b");
        assertThat(counts.get("a") + counts.get("c")).isEqualTo(300);
        // The backend after an excluded one takes its turns: retries are rare, evenness there is secondary.
        assertThat(counts.get("a")).isEqualTo(100);
    }

    @Test
    void everyPickerReturnsNullWhenNothingIsLeft() {
        Random random = new Random(1);
        List<Picker<String>> pickers = List.of(new RoundRobinPicker<>(THREE), new RandomPicker<>(THREE, random),
                new LeastRequestPicker<>(THREE, b -> 0, random),
                new ConsistentHashPicker<>(THREE, b -> b, RingParameters.EDGEMESH_DEFAULTS));
        for (Picker<String> p : pickers) {
            assertThat(p.pick("key", b -> true)).as(p.getClass().getSimpleName()).isNull();
        }
        assertThat(new RoundRobinPicker<String>(List.of()).pick(null, NONE)).isNull();
        assertThat(new ConsistentHashPicker<String>(List.of(), b -> b, RingParameters.EDGEMESH_DEFAULTS).pick("k", NONE)).isNull();
    }

    @Test
    void randomIsRoughlyUniform() {
        List<String> four = List.of("a", "b", "c", "d");
        Map<String, Integer> counts = tally(new RandomPicker<>(four, new Random(42)), 40000, NONE);
        assertThat(counts).hasSize(4);
        // Expected 10000 each; 4 % is more than 10 standard deviations (sd ~ 87).
        counts.values().forEach(c -> assertThat(c).isBetween(9600, 10400));
    }

    @Test
    void randomNeverPicksExcluded() {
        Map<String, Integer> counts = tally(new RandomPicker<>(THREE, new Random(7)), 3000, Set.of("a", "c")::contains);
        assertThat(counts).containsOnly(Map.entry("b", 3000));
    }

    @Test
    void leastRequestPrefersIdleBackendsAndNeverTheBusiest() {
        Map<String, Integer> active = Map.of("a", 9, "b", 5, "c", 0);
        Map<String, Integer> counts = tally(new LeastRequestPicker<>(THREE, active::get, new Random(3)), 9000, NONE);
        assertThat(counts).doesNotContainKey("a");
        // c wins whenever it is one of the two choices (2 of 3 pairs).
        assertThat(counts.get("c")).isBetween(5700, 6300);
        assertThat(counts.get("b")).isBetween(2700, 3300);
    }

    @Test
    void leastRequestFollowsChangingLoad() {
        Map<String, Integer> active = new HashMap<>(Map.of("a", 0, "b", 0));
        LeastRequestPicker<String> picker = new LeastRequestPicker<>(List.of("a", "b"), active::get, new Random(5));
        for (int i = 0; i < 100; i++) {
            String chosen = picker.pick(null, NONE);
            active.merge(chosen, 1, Integer::sum);
        }
        // Each pick goes to the less loaded of the two: the loads never drift apart by more than one.
        assertThat(Math.abs(active.get("a") - active.get("b"))).isLessThanOrEqualTo(1);
    }

    @Test
    void leastRequestWithOneCandidateLeftPicksIt() {
        LeastRequestPicker<String> picker = new LeastRequestPicker<>(THREE, b -> 0, new Random(1));
        assertThat(picker.pick(null, b -> !b.equals("b"))).isEqualTo("b");
    }
}
