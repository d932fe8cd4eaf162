package io.kedge.agent.lb;

import java.util.List;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/** A uniformly random backend among those not excluded. */
public final class RandomPicker<T> implements Picker<T> {
    private final List<T> backends;
    private final RandomGenerator random;

    public RandomPicker(List<T> backends, RandomGenerator random) {
        this.backends = List.copyOf(backends);
        this.random = random;
    }

    @Override
    public T pick(String hashKey, Predicate<? super T> excluded) {
        List<T> candidates = Candidates.notExcluded(backends, excluded);
        return candidates.isEmpty() ? null : candidates.get(random.nextInt(candidates.size()));
    }
}
