package io.kedge.agent.lb;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/** Each backend in turn; excluded ones are stepped over. */
public final class RoundRobinPicker<T> implements Picker<T> {
    private final List<T> backends;
    private final AtomicLong next = new AtomicLong();

    public RoundRobinPicker(List<T> backends) {
        this.backends = List.copyOf(backends);
    }

    @Override
    public T pick(String hashKey, Predicate<? super T> excluded) {
        int n = backends.size();
        if (n == 0) {
            return null;
        }
        long start = next.getAndIncrement();
        for (int i = 0; i < n; i++) {
            T candidate = backends.get((int) Math.floorMod(start + i, (long) n));
            if (!excluded.test(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
