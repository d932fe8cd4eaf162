package io.kedge.agent.lb;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

final class Candidates {
    private Candidates() {
    }

    /** The backends not excluded; the list itself when nothing is excluded (the usual first try). */
    static <T> List<T> notExcluded(List<T> backends, Predicate<? super T> excluded) {
        int firstExcluded = -1;
        for (int i = 0; i < backends.size(); i++) {
            if (excluded.test(backends.get(i))) {
                firstExcluded = i;
                break;
            }
        }
        if (firstExcluded < 0) {
            return backends;
        }
        List<T> out = new ArrayList<>(backends.size());
        for (int i = 0; i < backends.size(); i++) {
            if (i != firstExcluded && !excluded.test(backends.get(i))) {
                out.add(backends.get(i));
            }
        }
        return out;
    }
}
