package io.kedge.agent.lb;

import io.kedge.agent.catalog.LoadBalancerPolicy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/**
 * A Service port's balancing decision for one backend list: session affinity first (it wins over
 * the policy, as in Kubernetes and EdgeMesh), then the policy's {@link Picker}.
 *
 * @param <T> the backend type
 */
public final class Balancer<T> {
    private final List<T> backends;
    private final Function<? super T, String> id;
    private final Map<String, T> byId = new HashMap<>();
    private final Picker<T> picker;
    private final AffinityTable affinity;

    /**
     * @param affinity the Service port's ClientIP affinity table, or null without session affinity
     */
    public Balancer(List<T> backends, Function<? super T, String> id, Picker<T> picker, AffinityTable affinity) {
        this.backends = List.copyOf(backends);
        this.id = id;
        this.picker = picker;
        this.affinity = affinity;
        this.backends.forEach(b -> byId.put(id.apply(b), b));
    }

    /** A balancer for {@code policy}'s algorithm. */
    public static <T> Balancer<T> forPolicy(LoadBalancerPolicy.Kind kind, List<T> backends, Function<? super T, String> id,
                                            ToIntFunction<? super T> active, RingParameters ring, AffinityTable affinity,
                                            RandomGenerator random) {
        Picker<T> picker = switch (kind) {
            case ROUND_ROBIN -> new RoundRobinPicker<>(backends);
            case RANDOM -> new RandomPicker<>(backends, random);
            case LEAST_REQUEST -> new LeastRequestPicker<>(backends, active, random);
            case CONSISTENT_HASH -> new ConsistentHashPicker<>(backends, id, ring);
        };
        return new Balancer<>(backends, id, picker, affinity);
    }

    public List<T> backends() {
        return backends;
    }

    public boolean isEmpty() {
        return backends.isEmpty();
    }

    /**
     * @param clientIp the client's address (affinity key)
     * @param hashKey  the consistent-hash key (see {@link Picker#pick})
     * @param excluded backends already tried for this connection or request
     * @return the backend, or null when none is left
     */
    public T pick(String clientIp, String hashKey, Predicate<? super T> excluded) {
        if (affinity != null && clientIp != null) {
            String bound = affinity.lookup(clientIp);
            T sticky = bound == null ? null : byId.get(bound);
            if (sticky != null && !excluded.test(sticky)) {
                return sticky;
            }
            T chosen = picker.pick(hashKey, excluded);
            if (chosen != null) {
                affinity.bind(clientIp, id.apply(chosen));
            }
            return chosen;
        }
        return picker.pick(hashKey, excluded);
    }
}
