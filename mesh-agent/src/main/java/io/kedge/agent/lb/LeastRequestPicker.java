package io.kedge.agent.lb;

import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/**
 * Power of two choices: two distinct random backends, the one with fewer active requests (or
 * connections) wins. Nearly as good as scanning for the minimum, without herding every new request
 * onto the one backend that looked idle a moment ago.
 */
public final class LeastRequestPicker<T> implements Picker<T> {
    private final List<T> backends;
    private final ToIntFunction<? super T> active;
    private final RandomGenerator random;

    public LeastRequestPicker(List<T> backends, ToIntFunction<? super T> active, RandomGenerator random) {
        this.backends = List.copyOf(backends);
        this.active = active;
        this.random = random;
    }

    @Override
    public T pick(String hashKey, Predicate<? super T> excluded) {
        List<T> candidates = Candidates.notExcluded(backends, excluded);
        int n = candidates.size();
        if (n <= 1) {
            return n == 0 ? null : candidates.get(0);
        }
        int a = random.nextInt(n);
        int b = random.nextInt(n - 1);
        if (b >= a) {
            b++;
        }
        T first = candidates.get(a);
        T second = candidates.get(b);
        return active.applyAsInt(second) < active.applyAsInt(first) ? second : first;
    }
}
