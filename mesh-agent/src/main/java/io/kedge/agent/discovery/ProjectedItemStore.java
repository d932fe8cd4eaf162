package io.kedge.agent.discovery;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fabric8 informer item store that keeps, per object, only its resourceVersion and what the catalog
 * needs from it (a projection), instead of the whole deserialized object: the informer's cache would
 * otherwise hold a second, much larger copy of the cluster next to the catalog.
 *
 * <p>The informer still lists, watches, resumes and relists as usual; it needs from its store only
 * the key, the resourceVersion (to tell an update from a repeat) and something to hand to event
 * handlers. So {@link #get}, {@link #put}, {@link #remove} and {@link #values} return stubs: empty
 * objects carrying namespace, name and resourceVersion. Projections are read with {@link #projections()}.
 * Event handlers get whole objects for adds and for the new side of updates, stubs for the old side.
 *
 * <p>A projection that throws (a malformed object) is logged and stored as "nothing", so the object
 * is still tracked (its deletion is still seen) but contributes nothing to the catalog.
 *
 * @param <T> the Kubernetes kind
 * @param <V> what is kept of one object
 */
final class ProjectedItemStore<T extends HasMetadata, V> implements ItemStore<T> {
    private static final Logger log = LoggerFactory.getLogger(ProjectedItemStore.class);

    /** What is kept of one object. {@code projection} is null when the object contributes nothing. */
    private record Entry<V>(String namespace, String name, String resourceVersion, V projection) {
    }

    private final Map<String, Entry<V>> entries = new ConcurrentHashMap<>();
    private final String kind;
    private final Function<? super T, ? extends V> projector;
    private final Supplier<T> stubs;

    /**
     * @param kind      the kind's name, for logs
     * @param projector what to keep of an object; may return null (nothing to keep)
     * @param stubs     makes an empty object of the kind (e.g. {@code EndpointSlice::new})
     */
    ProjectedItemStore(String kind, Function<? super T, ? extends V> projector, Supplier<T> stubs) {
        this.kind = kind;
        this.projector = projector;
        this.stubs = stubs;
    }

    String kind() {
        return kind;
    }

    @Override
    public String getKey(T obj) {
        return Cache.metaNamespaceKeyFunc(obj);
    }

    @Override
    public T put(String key, T obj) {
        ObjectMeta meta = obj.getMetadata();
        V projection;
        try {
            projection = projector.apply(obj);
        } catch (RuntimeException e) {
            log.warn("ignoring {} {}: {}", kind, key, e.toString());
            projection = null;
        }
        return stub(entries.put(key, new Entry<>(CatalogTranslator.intern(meta.getNamespace()), meta.getName(), meta.getResourceVersion(), projection)));
    }

    @Override
    public T remove(String key) {
        return stub(entries.remove(key));
    }

    @Override
    public Stream<String> keySet() {
        return entries.keySet().stream();
    }

    @Override
    public Stream<T> values() {
        return entries.values().stream().map(this::stub);
    }

    @Override
    public int size() {
        return entries.size();
    }

    @Override
    public T get(String key) {
        return stub(entries.get(key));
    }

    /**
     * Not "full state": so that the informer hands each listed object to the handlers as it arrives
     * (whole) rather than after the list, looked up here (a stub).
     */
    @Override
    public boolean isFullState() {
        return false;
    }

    /**
     * The projections of every object held, in key order (so that a rebuild from the same objects gives
     * the same catalog); objects that contribute nothing are left out.
     */
    List<V> projections() {
        List<Map.Entry<String, Entry<V>>> held = new ArrayList<>(entries.size());
        for (Map.Entry<String, Entry<V>> e : entries.entrySet()) {
            if (e.getValue().projection() != null) {
                held.add(Map.entry(e.getKey(), e.getValue()));
            }
        }
        held.sort(Map.Entry.comparingByKey());
        List<V> result = new ArrayList<>(held.size());
        held.forEach(e -> result.add(e.getValue().projection()));
        return result;
    }

    private T stub(Entry<V> entry) {
        if (entry == null) {
            return null;
        }
        T stub = stubs.get();
        ObjectMeta meta = new ObjectMeta();
        meta.setNamespace(entry.namespace());
        meta.setName(entry.name());
        meta.setResourceVersion(entry.resourceVersion());
        stub.setMetadata(meta);
        return stub;
    }
}
