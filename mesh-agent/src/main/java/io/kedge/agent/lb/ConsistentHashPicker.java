package io.kedge.agent.lb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Consistent hashing with bounded loads, as EdgeMesh does it: backends stand on a hash ring
 * {@code replicationFactor} times each; the key space is cut into {@code partitionCount}
 * partitions, and each partition goes to the first backend clockwise from the partition's hash
 * that still owns fewer than {@code ceil(load * partitions / backends)} partitions. A key maps to
 * its partition's owner, so the same key keeps the same backend, adding or removing one backend
 * moves only a small share of keys, and no backend owns more than its bounded share.
 *
 * <p>A retry (owner excluded) walks on clockwise to the next backend that is not excluded, so it
 * is as sticky as the first choice. Without a key the picker falls back to round robin.
 */
public final class ConsistentHashPicker<T> implements Picker<T> {
    private final RingParameters parameters;
    private final List<T> backends;
    private final long[] ringHashes;
    private final int[] ringOwners;
    private final int[] partitionOwner;
    private final int[] partitionRingIndex;
    private final int[] owned;
    private final RoundRobinPicker<T> withoutKey;

    /**
     * @param backends the backends
     * @param id       a stable identity per backend (e.g. {@code ip:port}): the ring is built from it,
     *                 so the same backends give the same ring in every process
     */
    public ConsistentHashPicker(List<T> backends, Function<? super T, String> id, RingParameters parameters) {
        this.parameters = parameters;
        List<T> sorted = new ArrayList<>(backends);
        Map<T, String> ids = new HashMap<>();
        sorted.forEach(b -> ids.put(b, id.apply(b)));
        sorted.sort(Comparator.comparing(ids::get));
        this.backends = List.copyOf(sorted);
        this.withoutKey = new RoundRobinPicker<>(this.backends);

        int n = this.backends.size();
        int replicas = parameters.replicationFactor();
        long[][] points = new long[n * replicas][];
        for (int b = 0; b < n; b++) {
            String name = ids.get(this.backends.get(b));
            for (int r = 0; r < replicas; r++) {
                points[b * replicas + r] = new long[] {Hashing.hash64(name + "#" + r), b};
            }
        }
        Arrays.sort(points, (x, y) -> x[0] != y[0] ? Long.compareUnsigned(x[0], y[0]) : Long.compare(x[1], y[1]));
        ringHashes = new long[points.length];
        ringOwners = new int[points.length];
        for (int i = 0; i < points.length; i++) {
            ringHashes[i] = points[i][0];
            ringOwners[i] = (int) points[i][1];
        }

        int partitions = parameters.partitionCount();
        partitionOwner = new int[partitions];
        partitionRingIndex = new int[partitions];
        owned = new int[n];
        if (n > 0) {
            int maxLoad = maxPartitionsPerBackend(partitions, n, parameters.load());
            for (int p = 0; p < partitions; p++) {
                int at = ringIndex(Hashing.hash64(p));
                partitionRingIndex[p] = at;
                // Bounded: the owners' capacities add up to at least the partition count.
                for (int step = 0; step < ringOwners.length; step++) {
                    int owner = ringOwners[(at + step) % ringOwners.length];
                    if (owned[owner] < maxLoad) {
                        owned[owner]++;
                        partitionOwner[p] = owner;
                        break;
                    }
                }
            }
        }
    }

    /** The most partitions one backend may own: {@code ceil(load * partitions / backends)}. */
    public static int maxPartitionsPerBackend(int partitions, int backends, double load) {
        return (int) Math.ceil(load * partitions / backends);
    }

    @Override
    public T pick(String hashKey, Predicate<? super T> excluded) {
        if (backends.isEmpty()) {
            return null;
        }
        if (hashKey == null) {
            return withoutKey.pick(null, excluded);
        }
        int partition = partitionOf(hashKey);
        T owner = backends.get(partitionOwner[partition]);
        if (!excluded.test(owner)) {
            return owner;
        }
        int at = partitionRingIndex[partition];
        for (int step = 1; step <= ringOwners.length; step++) {
            T next = backends.get(ringOwners[(at + step) % ringOwners.length]);
            if (!excluded.test(next)) {
                return next;
            }
        }
        return null;
    }

    /** The partition a key falls into. */
    public int partitionOf(String hashKey) {
        return (int) Long.remainderUnsigned(Hashing.hash64(hashKey), parameters.partitionCount());
    }

    /** How many partitions each backend owns (for tests and the state endpoint). */
    public Map<T, Integer> partitionsOwned() {
        Map<T, Integer> out = new HashMap<>();
        for (int b = 0; b < backends.size(); b++) {
            out.put(backends.get(b), owned[b]);
        }
        return out;
    }

    /** First ring position whose hash is at or after {@code hash}, wrapping around. */
    private int ringIndex(long hash) {
        int lo = 0;
        int hi = ringHashes.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(ringHashes[mid], hash) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == ringHashes.length ? 0 : lo;
    }
}
