package io.kedge.agent.lb;

import java.util.function.Predicate;

/**
 * Chooses one backend out of a fixed list for one connection, session or request. A picker is built
 * for one backend list and is safe to call from many threads at once.
 *
 * @param <T> the backend type
 */
public interface Picker<T> {
    /**
     * @param hashKey  what a consistent hash is computed over (ignored by the other policies); when
     *                 null a hashing picker behaves like round robin
     * @param excluded backends already tried for this request (a retry must go elsewhere)
     * @return a backend that is not excluded, or null when every backend is excluded (or there are none)
     */
    T pick(String hashKey, Predicate<? super T> excluded);
}
