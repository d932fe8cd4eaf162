package io.kedge.common.kubeapi.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.GroupResource;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ObjectList;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.ResourceStore;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.Watch;
import io.kedge.common.kubeapi.WatchEvent;
import io.kedge.common.kubeapi.WatchListener;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.patch.Patch;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ResourceStore} that holds every object in memory, like the API server's watch cache, and
 * writes each change through a {@link StoreJournal} before it becomes visible. One global counter
 * gives every change its resourceVersion; the last {@code eventWindow} changes are kept (in memory and
 * in the journal) so that watches resume after a disconnect or a restart, and a watch from further
 * back gets 410 Gone, upon which clients relist.
 *
 * <p>Writes are serialised by one lock; watch listeners are called under it, in commit order.
 * Namespaced objects need their Namespace to exist (or it is created, with
 * {@link Options#autoCreateNamespaces}); deleting a Namespace deletes what is in it.
 */
public final class MemoryResourceStore implements ResourceStore {
    private static final Logger log = LoggerFactory.getLogger(MemoryResourceStore.class);
    private static final GroupResource NAMESPACES = BuiltinTypes.NAMESPACES.groupResource();
    /** Namespaces Kubernetes creates at start and refuses to delete. */
    public static final List<String> SYSTEM_NAMESPACES = List.of("default", "kube-system", "kube-public", "kube-node-lease");

    /**
     * {@code eventWindow}: how many changes are retained for resuming watches.
     * {@code autoCreateNamespaces}: create a missing Namespace instead of answering 404 (Kubernetes answers 404).
     * {@code namespaceCleanupDelay}: how long a deleted Namespace stays Terminating before it and its
     * contents go (Kubernetes' namespace controller takes seconds; clients such as
     * {@code kubectl delete -f} count on the contents still being there right after).
     * {@code admissions}: defaulting and admission steps run on every write, in order.
     */
    public record Options(int eventWindow, boolean autoCreateNamespaces, Duration namespaceCleanupDelay,
                          List<Admission> admissions, Clock clock) {
        public static final Options DEFAULT = new Options(10_000, false, Duration.ofSeconds(2),
                List.of(BuiltinDefaults.INSTANCE), Clock.systemUTC());

        public Options {
            if (eventWindow < 1) {
                throw new IllegalArgumentException("eventWindow must be at least 1");
            }
            namespaceCleanupDelay = namespaceCleanupDelay == null ? Duration.ZERO : namespaceCleanupDelay;
            admissions = admissions == null ? List.of() : List.copyOf(admissions);
            clock = clock == null ? Clock.systemUTC() : clock;
        }

        public Options withEventWindow(int events) {
            return new Options(events, autoCreateNamespaces, namespaceCleanupDelay, admissions, clock);
        }

        public Options withAutoCreateNamespaces(boolean create) {
            return new Options(eventWindow, create, namespaceCleanupDelay, admissions, clock);
        }

        public Options withNamespaceCleanupDelay(Duration delay) {
            return new Options(eventWindow, autoCreateNamespaces, delay, admissions, clock);
        }

        /** These admissions after the current ones. */
        public Options withAdmissions(Admission... more) {
            List<Admission> all = new ArrayList<>(admissions);
            all.addAll(List.of(more));
            return new Options(eventWindow, autoCreateNamespaces, namespaceCleanupDelay, all, clock);
        }

        public Options withClock(Clock c) {
            return new Options(eventWindow, autoCreateNamespaces, namespaceCleanupDelay, admissions, c);
        }
    }

    private final Options options;
    private final StoreJournal journal;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<GroupResource, NavigableMap<String, ObjectNode>> objects = new ConcurrentHashMap<>();
    private final ArrayDeque<WatchEvent> events = new ArrayDeque<>();
    private final Map<GroupResource, List<Subscription>> watchers = new ConcurrentHashMap<>();
    private final ScheduledExecutorService namespaceCleaner = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "store-namespace-cleanup");
        t.setDaemon(true);
        return t;
    });
    private long resourceVersion;
    private long eventFloor;
    private boolean closed;

    public MemoryResourceStore(Options options, StoreJournal journal) {
        this.options = options;
        this.journal = journal;
        StoreJournal.Contents contents = journal.load();
        for (StoreJournal.StoredObject stored : contents.objects()) {
            table(stored.resource()).put(key(KubeObjects.namespace(stored.object()), KubeObjects.name(stored.object())), stored.object());
        }
        events.addAll(contents.events());
        resourceVersion = contents.resourceVersion();
        eventFloor = contents.events().isEmpty() ? resourceVersion : Math.min(contents.eventFloor(), resourceVersion);
        for (String ns : SYSTEM_NAMESPACES) {
            if (!table(NAMESPACES).containsKey(key(null, ns))) {
                ObjectNode namespace = KubeObjects.JSON.createObjectNode();
                namespace.putObject("metadata").put("name", ns);
                create(BuiltinTypes.NAMESPACES, namespace, WriteOptions.DEFAULT);
            }
        }
        for (ObjectNode ns : table(NAMESPACES).values()) {
            if (ObjectRules.markedForDeletion(ns)) {
                scheduleNamespaceCleanup(KubeObjects.name(ns));
            }
        }
    }

    /** A store without durability. */
    public static MemoryResourceStore inMemory() {
        return new MemoryResourceStore(Options.DEFAULT, StoreJournal.NONE);
    }

    // ---- reads ----

    @Override
    public ObjectNode get(ResourceType type, String namespace, String name) {
        lock.readLock().lock();
        try {
            ObjectNode found = table(type.groupResource()).get(key(scope(type, namespace), name));
            if (found == null) {
                throw ApiException.notFound(type.groupResource(), name);
            }
            return found.deepCopy();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public ObjectList list(ResourceType type, String namespace) {
        lock.readLock().lock();
        try {
            List<ObjectNode> items = new ArrayList<>();
            for (ObjectNode o : slice(type, namespace).values()) {
                items.add(o.deepCopy());
            }
            return new ObjectList(items, resourceVersion);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public long resourceVersion() {
        lock.readLock().lock();
        try {
            return resourceVersion;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** How many objects each group/resource holds (for metrics). */
    public Map<GroupResource, Integer> counts() {
        lock.readLock().lock();
        try {
            Map<GroupResource, Integer> counts = new LinkedHashMap<>();
            objects.forEach((gr, table) -> counts.put(gr, table.size()));
            return counts;
        } finally {
            lock.readLock().unlock();
        }
    }

    // ---- writes ----

    @Override
    public ObjectNode create(ResourceType type, ObjectNode object, WriteOptions writeOptions) {
        ObjectNode candidate = object.deepCopy();
        ObjectRules.generateName(candidate);
        lock.writeLock().lock();
        try {
            checkOpen();
            Batch batch = new Batch();
            createIn(batch, type, candidate);
            return finish(batch, writeOptions, batch.last());
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void createIn(Batch batch, ResourceType type, ObjectNode candidate) {
        ObjectRules.validate(type, candidate);
        String namespace = type.namespaced() ? KubeObjects.namespace(candidate) : null;
        if (type.namespaced()) {
            if (namespace == null || namespace.isEmpty()) {
                throw ApiException.badRequest("a namespaced object needs metadata.namespace");
            }
            requireNamespace(batch, namespace);
        }
        String name = KubeObjects.name(candidate);
        if (batch.lookup(type.groupResource(), key(namespace, name)) != null) {
            throw ApiException.alreadyExists(type.groupResource(), name);
        }
        admit(type, candidate, null);
        ObjectRules.prepareCreate(type, candidate, options.clock().instant());
        batch.put(WatchEvent.Type.ADDED, type.groupResource(), candidate, null);
    }

    private void admit(ResourceType type, ObjectNode object, ObjectNode stored) {
        for (Admission a : options.admissions()) {
            a.admit(type, object, stored, this);
        }
    }

    private void requireNamespace(Batch batch, String namespace) {
        ObjectNode ns = batch.lookup(NAMESPACES, key(null, namespace));
        if (ns == null) {
            if (!options.autoCreateNamespaces()) {
                throw ApiException.notFound(NAMESPACES, namespace);
            }
            ObjectNode created = KubeObjects.JSON.createObjectNode();
            created.putObject("metadata").put("name", namespace);
            createIn(batch, BuiltinTypes.NAMESPACES, created);
        } else if (ObjectRules.markedForDeletion(ns)) {
            throw ApiException.forbidden(NAMESPACES, namespace, "unable to create new content in namespace " + namespace
                    + " because it is being terminated");
        }
    }

    @Override
    public ObjectNode update(ResourceType type, ObjectNode object, WriteOptions writeOptions) {
        ObjectNode incoming = object.deepCopy();
        lock.writeLock().lock();
        try {
            checkOpen();
            ObjectNode stored = existing(type, KubeObjects.namespace(incoming), KubeObjects.name(incoming));
            ObjectRules.checkPreconditions(type, stored, null, KubeObjects.resourceVersion(incoming));
            return replace(type, stored, incoming, writeOptions);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public ObjectNode patch(ResourceType type, String namespace, String name, Patch patch, WriteOptions writeOptions) {
        lock.writeLock().lock();
        try {
            checkOpen();
            ObjectNode stored = table(type.groupResource()).get(key(scope(type, namespace), name));
            if (stored == null) {
                if (!patch.createsWhenAbsent()) {
                    throw ApiException.notFound(type.groupResource(), name);
                }
                if (!(patch.body() instanceof ObjectNode body)) {
                    throw ApiException.badRequest("an apply patch must be an object");
                }
                ObjectNode candidate = body.deepCopy();
                Batch batch = new Batch();
                createIn(batch, type, candidate);
                return finish(batch, writeOptions, batch.last());
            }
            ObjectNode patched = patch.apply(stored, type);
            ObjectRules.checkPreconditions(type, stored, null, KubeObjects.resourceVersion(patched));
            return replace(type, stored, patched, writeOptions);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The shared tail of update and patch; called with the write lock held. */
    private ObjectNode replace(ResourceType type, ObjectNode stored, ObjectNode incoming, WriteOptions writeOptions) {
        ObjectNode next = ObjectRules.prepareUpdate(type, stored, incoming, writeOptions.status());
        admit(type, next, stored);
        ObjectRules.validate(type, next);
        KubeObjects.metadata(next).put("resourceVersion", KubeObjects.resourceVersion(stored));
        if (ObjectRules.sameContent(stored, next)) {
            return stored.deepCopy();
        }
        Batch batch = new Batch();
        if (ObjectRules.markedForDeletion(next) && !ObjectRules.hasFinalizers(next)) {
            // The last finalizer went: the deletion that was waiting for it happens now.
            removeIn(batch, type.groupResource(), next);
        } else {
            batch.put(WatchEvent.Type.MODIFIED, type.groupResource(), next, stored);
        }
        return finish(batch, writeOptions, batch.last());
    }

    @Override
    public ObjectNode delete(ResourceType type, String namespace, String name, Preconditions preconditions, WriteOptions writeOptions) {
        lock.writeLock().lock();
        try {
            checkOpen();
            ObjectNode stored = existing(type, scope(type, namespace), name);
            ObjectRules.checkPreconditions(type, stored, preconditions.uid(), preconditions.resourceVersion());
            GroupResource gr = type.groupResource();
            if (gr.equals(NAMESPACES) && SYSTEM_NAMESPACES.contains(name)) {
                throw ApiException.forbidden(gr, name, "this namespace may not be deleted");
            }
            Batch batch = new Batch();
            if (ObjectRules.hasFinalizers(stored)) {
                if (ObjectRules.markedForDeletion(stored)) {
                    return stored.deepCopy();
                }
                ObjectNode marked = stored.deepCopy();
                KubeObjects.metadata(marked).put("deletionTimestamp", KubeObjects.timestamp(options.clock().instant()));
                KubeObjects.metadata(marked).put("deletionGracePeriodSeconds", 0);
                batch.put(WatchEvent.Type.MODIFIED, gr, marked, stored);
                return finish(batch, writeOptions, batch.last());
            }
            if (gr.equals(NAMESPACES)) {
                if (!options.namespaceCleanupDelay().isZero()) {
                    // Like Kubernetes: the namespace turns Terminating now and goes, with its contents, a little later.
                    ObjectNode terminating = stored.deepCopy();
                    KubeObjects.metadata(terminating).put("deletionTimestamp", KubeObjects.timestamp(options.clock().instant()));
                    (terminating.get("status") instanceof ObjectNode s ? s : terminating.putObject("status")).put("phase", "Terminating");
                    batch.put(WatchEvent.Type.MODIFIED, gr, terminating, stored);
                    ObjectNode answer = finish(batch, writeOptions, batch.last());
                    if (!writeOptions.dryRun()) {
                        scheduleNamespaceCleanup(name);
                    }
                    return answer;
                }
                deleteNamespaceContents(batch, name);
            }
            removeIn(batch, gr, stored);
            return finish(batch, writeOptions, batch.last());
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void scheduleNamespaceCleanup(String namespace) {
        try {
            namespaceCleaner.schedule(() -> cleanUpNamespace(namespace), options.namespaceCleanupDelay().toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("store closing; namespace {} is cleaned up at the next start", namespace);
        }
    }

    /** Deletes a Terminating namespace's contents, then the namespace. */
    private void cleanUpNamespace(String namespace) {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            ObjectNode ns = table(NAMESPACES).get(key(null, namespace));
            if (ns == null || !ObjectRules.markedForDeletion(ns)) {
                return;
            }
            Batch batch = new Batch();
            deleteNamespaceContents(batch, namespace);
            if (!ObjectRules.hasFinalizers(ns)) {
                removeIn(batch, NAMESPACES, ns);
            }
            if (!batch.isEmpty()) {
                finish(batch, WriteOptions.DEFAULT, batch.last());
            }
        } catch (ApiException e) {
            log.warn("cleaning up namespace {} failed ({}); retrying", namespace, e.getMessage());
            scheduleNamespaceCleanup(namespace);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void deleteNamespaceContents(Batch batch, String namespace) {
        for (Map.Entry<GroupResource, NavigableMap<String, ObjectNode>> table : objects.entrySet()) {
            if (table.getKey().equals(NAMESPACES)) {
                continue;
            }
            for (ObjectNode o : table.getValue().subMap(namespace + '\0', true, namespace + '\1', false).values()) {
                removeIn(batch, table.getKey(), o);
            }
        }
    }

    private void removeIn(Batch batch, GroupResource gr, ObjectNode last) {
        batch.put(WatchEvent.Type.DELETED, gr, last.deepCopy(), last);
    }

    /**
     * Commits a batch: journal first (nothing changes if it fails), then memory, then watchers.
     * Returns a copy of the batch's last change, which is what the write answers.
     */
    private ObjectNode finish(Batch batch, WriteOptions writeOptions, ObjectNode result) {
        if (writeOptions.dryRun()) {
            ObjectNode answer = result.deepCopy();
            KubeObjects.metadata(answer).remove("resourceVersion");
            return answer;
        }
        List<WatchEvent> changes = batch.events(resourceVersion);
        long last = changes.get(changes.size() - 1).resourceVersion();
        int overflow = Math.max(0, events.size() + changes.size() - options.eventWindow());
        long floor = eventFloor;
        if (overflow > 0) {
            Iterator<WatchEvent> it = events.iterator();
            for (int i = 0; i < overflow; i++) {
                floor = it.hasNext() ? it.next().resourceVersion() : changes.get(i - events.size()).resourceVersion();
            }
        }
        try {
            journal.commit(changes, last, floor);
        } catch (RuntimeException e) {
            log.error("could not record a change: {}", e.toString());
            throw ApiException.internal("the change could not be stored: " + e.getMessage());
        }
        for (WatchEvent change : changes) {
            NavigableMap<String, ObjectNode> table = table(change.resource());
            String key = key(KubeObjects.namespace(change.object()), KubeObjects.name(change.object()));
            if (change.type() == WatchEvent.Type.DELETED) {
                table.remove(key);
            } else {
                table.put(key, change.object());
            }
            events.addLast(change);
        }
        while (events.size() > options.eventWindow()) {
            events.removeFirst();
        }
        resourceVersion = last;
        eventFloor = floor;
        for (WatchEvent change : changes) {
            for (Subscription s : watchers.getOrDefault(change.resource(), List.of())) {
                s.deliver(change);
            }
        }
        return changes.get(changes.size() - 1).object().deepCopy();
    }

    // ---- watch ----

    @Override
    public Watch watch(ResourceType type, String namespace, String fromVersion, WatchListener listener) {
        Long from = "0".equals(fromVersion) ? null : KubeObjects.parseResourceVersion(fromVersion);
        lock.writeLock().lock();
        try {
            checkOpen();
            Subscription s = new Subscription(type.groupResource(), scope(type, namespace), listener);
            if (from == null) {
                for (ObjectNode o : slice(type, namespace).values()) {
                    s.deliver(WatchEvent.change(WatchEvent.Type.ADDED, type.groupResource(),
                            KubeObjects.parseResourceVersion(KubeObjects.resourceVersion(o)), o, null));
                }
                s.deliver(WatchEvent.bookmark(type.groupResource(), resourceVersion, true));
            } else {
                if (from < eventFloor) {
                    throw ApiException.gone("too old resource version: " + from + " (" + eventFloor + ")");
                }
                if (from > resourceVersion) {
                    throw ApiException.gone("resource version " + from + " is newer than this store's (" + resourceVersion
                            + "): the store was replaced; relist");
                }
                for (WatchEvent e : events) {
                    if (e.resourceVersion() > from && e.resource().equals(s.resource)) {
                        s.deliver(e);
                    }
                }
            }
            watchers.computeIfAbsent(type.groupResource(), k -> new CopyOnWriteArrayList<>()).add(s);
            return s;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** How many watches are open (for metrics). */
    public int watchCount() {
        return watchers.values().stream().mapToInt(List::size).sum();
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (List<Subscription> list : watchers.values()) {
                for (Subscription s : list) {
                    s.end(ApiException.serviceUnavailable("the store is closing"));
                }
            }
            watchers.clear();
            namespaceCleaner.shutdownNow();
            journal.close();
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ---- internals ----

    private void checkOpen() {
        if (closed) {
            throw ApiException.serviceUnavailable("the store is closed");
        }
    }

    private ObjectNode existing(ResourceType type, String namespace, String name) {
        ObjectNode stored = table(type.groupResource()).get(key(scope(type, namespace), name));
        if (stored == null) {
            throw ApiException.notFound(type.groupResource(), name);
        }
        return stored;
    }

    private NavigableMap<String, ObjectNode> table(GroupResource gr) {
        return objects.computeIfAbsent(gr, k -> new TreeMap<>());
    }

    private NavigableMap<String, ObjectNode> slice(ResourceType type, String namespace) {
        NavigableMap<String, ObjectNode> table = table(type.groupResource());
        String ns = scope(type, namespace);
        return ns == null ? table : table.subMap(ns + '\0', true, ns + '\1', false);
    }

    private static String scope(ResourceType type, String namespace) {
        return type.namespaced() && namespace != null && !namespace.isEmpty() ? namespace : null;
    }

    /** Sorts by namespace, then name; "\0" keeps one namespace's keys contiguous. */
    private static String key(String namespace, String name) {
        return (namespace == null ? "" : namespace) + '\0' + name;
    }

    /** Changes of one write, numbered when committed; lookups see earlier changes of the same batch. */
    private final class Batch {
        private final List<WatchEvent.Type> types = new ArrayList<>();
        private final List<GroupResource> resources = new ArrayList<>();
        private final List<ObjectNode> states = new ArrayList<>();
        private final List<ObjectNode> previous = new ArrayList<>();

        void put(WatchEvent.Type type, GroupResource gr, ObjectNode state, ObjectNode before) {
            types.add(type);
            resources.add(gr);
            states.add(state);
            previous.add(before);
        }

        ObjectNode lookup(GroupResource gr, String key) {
            for (int i = states.size() - 1; i >= 0; i--) {
                ObjectNode s = states.get(i);
                if (resources.get(i).equals(gr) && key(KubeObjects.namespace(s), KubeObjects.name(s)).equals(key)) {
                    return types.get(i) == WatchEvent.Type.DELETED ? null : s;
                }
            }
            return table(gr).get(key);
        }

        ObjectNode last() {
            return states.get(states.size() - 1);
        }

        boolean isEmpty() {
            return states.isEmpty();
        }

        List<WatchEvent> events(long after) {
            List<WatchEvent> out = new ArrayList<>();
            long rv = after;
            for (int i = 0; i < states.size(); i++) {
                rv++;
                ObjectNode state = states.get(i);
                KubeObjects.metadata(state).put("resourceVersion", Long.toString(rv));
                out.add(WatchEvent.change(types.get(i), resources.get(i), rv, state, previous.get(i)));
            }
            return out;
        }
    }

    private final class Subscription implements Watch {
        private final GroupResource resource;
        private final String namespace;
        private final WatchListener listener;
        private volatile boolean ended;

        Subscription(GroupResource resource, String namespace, WatchListener listener) {
            this.resource = resource;
            this.namespace = namespace;
            this.listener = listener;
        }

        void deliver(WatchEvent event) {
            if (ended) {
                return;
            }
            if (namespace != null && event.object() != null && !namespace.equals(KubeObjects.namespace(event.object()))) {
                return;
            }
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                log.warn("a watch listener of {} failed; ending that watch: {}", resource, e.toString());
                end(null);
            }
        }

        void end(ApiException reason) {
            if (!detach()) {
                return;
            }
            try {
                listener.onClose(reason);
            } catch (RuntimeException e) {
                log.debug("watch close listener failed: {}", e.toString());
            }
        }

        @Override
        public void bookmark() {
            lock.writeLock().lock();
            try {
                deliver(WatchEvent.bookmark(resource, resourceVersion, false));
            } finally {
                lock.writeLock().unlock();
            }
        }

        @Override
        public void close() {
            detach();
        }

        /** Stops delivery; true when this call ended the subscription. */
        private synchronized boolean detach() {
            if (ended) {
                return false;
            }
            ended = true;
            List<Subscription> list = watchers.get(resource);
            if (list != null) {
                list.remove(this);
            }
            return true;
        }
    }
}
