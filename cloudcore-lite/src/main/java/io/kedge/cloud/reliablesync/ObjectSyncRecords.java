package io.kedge.cloud.reliablesync;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kedge.cloud.sync.SyncRecords;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeedge.SyncedTypes;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acknowledged versions as KubeEdge's ObjectSync (namespaced objects, in the object's namespace) and
 * ClusterObjectSync (cluster-scoped objects) resources: name {@code <node>.<uid>}, spec
 * {objectAPIVersion, objectKind, objectName}, status {objectResourceVersion}. Ours carry the label
 * {@code kedge.io/node} (the node name, or a hash when it is too long for a label) and the annotation
 * {@code kedge.io/node} (the name), so a node's records are one label-selected list.
 *
 * <p>Writes never block the sync controller: {@link #apply} only queues, coalescing per (node, object)
 * so that only the newest change of a record is pending, and a writer thread creates, patches the
 * status of, or deletes the resources, in batches of parallel calls. While the API is down the pending
 * changes stay queued (at most {@code maxPending} records; beyond that a change is dropped, counted and logged, which costs a resend
 * of that object or a repeated delete after a restart, never a lost object) and are retried with
 * exponential backoff. {@link #close} writes what is pending for a few seconds and logs what it could
 * not. A change the API rejects as invalid is dropped with an error line.
 *
 * <p>A delete is written when the node acknowledges the delete, so no record outlives its object on the
 * node (KubeEdge's leftovers cause endless delete loops, kubeedge#1783, #3445). A periodic collection
 * removes the records of nodes that no longer exist.
 */
public final class ObjectSyncRecords implements SyncRecords {
    private static final Logger log = LoggerFactory.getLogger(ObjectSyncRecords.class);
    public static final String NODE_LABEL = "kedge.io/node";
    public static final String NODE_ANNOTATION = "kedge.io/node";
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");
    private static final int BATCH = 256;
    private static final long PAGE = 500;

    /**
     * {@code maxPending}: records with a change not yet written; {@code gcInterval}: how often records
     * of vanished nodes are collected; {@code minBackoff}..{@code maxBackoff}: the retry delays while the
     * API fails; {@code closeDeadline}: how long {@link #close} keeps writing what is pending;
     * {@code writers}: API calls at once.
     */
    public record Settings(int maxPending, Duration gcInterval, Duration minBackoff, Duration maxBackoff, Duration closeDeadline,
                           int writers) {
        public static final Settings DEFAULT = new Settings(100_000, Duration.ofMinutes(10), Duration.ofMillis(500),
                Duration.ofSeconds(30), Duration.ofSeconds(5), 8);
    }

    private final KubernetesClient client;
    private final Settings settings;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "objectsync-writer");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService lanes;
    private final Object lock = new Object();
    /** Changes not yet taken by the writer, newest per record (guarded by lock). */
    private final LinkedHashMap<String, Change> pending = new LinkedHashMap<>();
    /** Changes the writer is writing now (guarded by lock). */
    private final Map<String, Change> writing = new HashMap<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicLong count = new AtomicLong(-1);
    private volatile long backoffMillis;
    private volatile boolean closing;
    private long lastDropLog;
    private final Counter writes;
    private final Counter dropped;
    private final Counter readFailures;
    private final Counter collected;

    public ObjectSyncRecords(KubernetesClient client, Settings settings, PrometheusRegistry metrics) {
        this.client = client;
        this.settings = settings;
        AtomicInteger lane = new AtomicInteger();
        lanes = Executors.newFixedThreadPool(settings.writers(), r -> {
            Thread t = new Thread(r, "objectsync-write-" + lane.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        writes = Counter.builder().name("kedge_objectsync_writes_total")
                .help("ObjectSync/ClusterObjectSync writes by operation (create, status, delete) and result (ok, retry, rejected)")
                .labelNames("op", "result").register(metrics);
        dropped = Counter.builder().name("kedge_objectsync_dropped_total")
                .help("Acknowledgements not recorded because maxPending changes were already waiting (the API was down too long)")
                .register(metrics);
        readFailures = Counter.builder().name("kedge_objectsync_read_failures_total")
                .help("Failed reads of a node's records on connect (the node then receives everything again)").register(metrics);
        collected = Counter.builder().name("kedge_objectsync_collected_total")
                .help("Records removed because their node no longer exists").register(metrics);
        GaugeWithCallback.builder().name("kedge_objectsync_pending").help("Record changes waiting to be written to the API")
                .callback(cb -> cb.call(pendingCount())).register(metrics);
    }

    /** Starts the writer and the periodic collection (the first one at once, which also counts the records). */
    public void start() {
        long every = settings.gcInterval().toMillis();
        writer.scheduleWithFixedDelay(() -> {
            try {
                collect();
            } catch (RuntimeException e) {
                log.warn("collecting ObjectSync records of vanished nodes failed: {}", e.getMessage());
            }
        }, 0, every, TimeUnit.MILLISECONDS);
    }

    // ---- naming ----

    /** KubeEdge's name of a record: {@code <node>.<uid>}. */
    public static String objectName(String node, String uid) {
        return node + "." + uid;
    }

    /** The label value that selects a node's records: its name, or a hash of it when that is no valid label value. */
    public static String nodeLabel(String node) {
        if (node.length() <= 63 && LABEL_VALUE.matcher(node).matches()) {
            return node;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(node.getBytes(StandardCharsets.UTF_8));
            return "h" + HexFormat.of().formatHex(h, 0, 20);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> ops(
            String namespace) {
        return namespace == null ? client.genericKubernetesResources(ReliableSyncCrds.CLUSTER_OBJECT_SYNC)
                : client.genericKubernetesResources(ReliableSyncCrds.OBJECT_SYNC).inNamespace(namespace);
    }

    private static String key(String node, String uid) {
        return node + "\n" + uid;
    }

    // ---- SyncRecords ----

    /** Lists the node's records (called on the controller's reader threads, never its sync thread). */
    @Override
    public Map<String, Acked> forNode(String node) {
        List<Change> unwritten;
        synchronized (lock) {
            // Taken before the list: whatever finishes meanwhile is in the list, the rest is laid over it.
            unwritten = new ArrayList<>();
            for (Change c : writing.values()) {
                if (c.node().equals(node)) {
                    unwritten.add(c);
                }
            }
            for (Change c : pending.values()) {
                if (c.node().equals(node)) {
                    unwritten.add(c);
                }
            }
        }
        Map<String, Acked> out = new HashMap<>();
        try {
            List<GenericKubernetesResource> items = new ArrayList<>(client.genericKubernetesResources(ReliableSyncCrds.OBJECT_SYNC)
                    .inAnyNamespace().withLabel(NODE_LABEL, nodeLabel(node)).list().getItems());
            items.addAll(client.genericKubernetesResources(ReliableSyncCrds.CLUSTER_OBJECT_SYNC).withLabel(NODE_LABEL, nodeLabel(node))
                    .list().getItems());
            String prefix = node + ".";
            for (GenericKubernetesResource r : items) {
                String name = r.getMetadata().getName();
                if (name == null || !name.startsWith(prefix) || !node.equals(annotation(r))) {
                    continue; // another node whose name hashes to the same label
                }
                out.put(name.substring(prefix.length()), acked(r));
            }
        } catch (KubernetesClientException e) {
            readFailures.inc();
            log.warn("cannot read the ObjectSync records of node {} ({}): it receives every object again, and deletes of objects "
                    + "removed while it was away are not sent in this session", node, e.getMessage());
            out.clear();
        }
        for (Change c : unwritten) {
            if (c.isDelete()) {
                out.remove(c.uid());
            } else {
                out.put(c.uid(), c.acked());
            }
        }
        return out;
    }

    private static String annotation(GenericKubernetesResource r) {
        Map<String, String> a = r.getMetadata().getAnnotations();
        return a == null ? null : a.get(NODE_ANNOTATION);
    }

    /** A record as read; an unknown kind keeps its lower-case kind name (the controller then forgets it). */
    static Acked acked(GenericKubernetesResource r) {
        Map<String, Object> spec = map(r.getAdditionalProperties().get("spec"));
        Map<String, Object> status = map(r.getAdditionalProperties().get("status"));
        String apiVersion = String.valueOf(spec.get("objectAPIVersion"));
        String kind = String.valueOf(spec.get("objectKind"));
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String kubeEdgeType = kind.toLowerCase();
        for (ResourceType t : SyncedTypes.all()) {
            if (t.kind().equals(kind) && t.group().equals(group)) {
                kubeEdgeType = SyncedTypes.nameOf(t).orElse(kubeEdgeType);
                break;
            }
        }
        Object rv = status.get("objectResourceVersion");
        // Created but its status never written (a crash in between): version 0, so the object is sent again.
        return new Acked(kubeEdgeType, r.getMetadata().getNamespace(), String.valueOf(spec.get("objectName")),
                rv == null || String.valueOf(rv).isEmpty() ? "0" : String.valueOf(rv));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @Override
    public void apply(List<Change> changes) {
        if (changes.isEmpty()) {
            return;
        }
        synchronized (lock) {
            for (Change c : changes) {
                String k = key(c.node(), c.uid());
                Change before = pending.remove(k);
                if (before != null && c.previous() == null) {
                    // keep what is known about the stored record (whether it exists, where)
                    c = new Change(c.node(), c.uid(), c.acked(), before.previous());
                }
                if (before == null && pending.size() >= settings.maxPending()) {
                    dropped.inc();
                    long now = System.nanoTime();
                    if (now - lastDropLog > TimeUnit.MINUTES.toNanos(1)) {
                        lastDropLog = now;
                        log.warn("{} ObjectSync changes are waiting (the API is failing): dropping the record of {} on node {} "
                                + "(after a restart it is sent again, or its delete repeated)", pending.size(), c.uid(), c.node());
                    }
                    continue;
                }
                pending.put(k, c);
            }
        }
        scheduleDrain(0);
    }

    @Override
    public long count() {
        return count.get();
    }

    /** Changes not yet written (queued or being written). */
    public int pendingCount() {
        synchronized (lock) {
            return pending.size() + writing.size();
        }
    }

    // ---- writer thread ----

    private void scheduleDrain(long delayMillis) {
        if (drainScheduled.compareAndSet(false, true)) {
            try {
                writer.schedule(this::drain, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopped) {
                drainScheduled.set(false);
            }
        }
    }

    /**
     * Writes batches until nothing is pending, the changes of a batch in parallel (a batch holds one
     * change per record, and the next batch starts when this one is done, so each record's changes
     * stay in order). On a failure the failed changes are re-queued and retried after a backoff;
     * while failing, one change at a time probes the API instead of a whole batch.
     */
    private void drain() {
        drainScheduled.set(false);
        while (true) {
            List<Change> batch = new ArrayList<>();
            int size = backoffMillis == 0 ? BATCH : 1;
            synchronized (lock) {
                for (Iterator<Change> it = pending.values().iterator(); it.hasNext() && batch.size() < size; ) {
                    Change c = it.next();
                    it.remove();
                    writing.put(key(c.node(), c.uid()), c);
                    batch.add(c);
                }
            }
            if (batch.isEmpty()) {
                return;
            }
            List<CompletableFuture<RuntimeException>> results = new ArrayList<>();
            for (Change c : batch) {
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        write(c);
                        return null;
                    } catch (RuntimeException e) {
                        return e;
                    }
                }, lanes));
            }
            RuntimeException retryCause = null;
            for (int i = 0; i < batch.size(); i++) {
                Change c = batch.get(i);
                RuntimeException e = results.get(i).join();
                boolean retry = e instanceof KubernetesClientException k && retryable(k);
                if (e != null && !retry) {
                    log.error("the API rejected the ObjectSync record {} ({}): not recorded", objectName(c.node(), c.uid()), e.getMessage());
                }
                String k = key(c.node(), c.uid());
                synchronized (lock) {
                    writing.remove(k);
                    if (retry) {
                        pending.putIfAbsent(k, c); // unless a newer change of it came meanwhile
                    }
                }
                if (retry && retryCause == null) {
                    retryCause = e;
                }
            }
            if (retryCause != null) {
                if (backoffMillis == 0) {
                    log.warn("writing ObjectSync records failed ({}): {} changes stay queued and are retried", retryCause.getMessage(),
                            pendingCount());
                }
                long min = settings.minBackoff().toMillis();
                backoffMillis = Math.min(settings.maxBackoff().toMillis(), backoffMillis == 0 ? min : backoffMillis * 2);
                if (!closing) {
                    scheduleDrain(backoffMillis);
                }
                return;
            }
            if (backoffMillis != 0) {
                backoffMillis = 0;
                log.info("writing ObjectSync records works again");
            }
        }
    }

    private static boolean retryable(KubernetesClientException e) {
        int code = e.getCode();
        return code == 0 || code == 409 || code == 429 || code >= 500;
    }

    private void write(Change c) {
        String name = objectName(c.node(), c.uid());
        if (c.isDelete()) {
            delete(c, name);
            return;
        }
        Acked a = c.acked();
        ResourceType type = SyncedTypes.byName(a.kubeEdgeType()).orElse(null);
        if (type == null) {
            log.error("no API type for the acknowledged kind {}: not recorded", a.kubeEdgeType());
            writes.labelValues("create", "rejected").inc();
            return;
        }
        GenericKubernetesResource stub = record(c, type);
        // Named by an item, not withName: fabric8 would GET the object before patching it.
        Resource<GenericKubernetesResource> res = ops(a.namespace()).resource(stub);
        if (c.previous() != null && patchStatus(res, a.resourceVersion())) {
            return; // the common case: a newer version of a recorded object
        }
        GenericKubernetesResource created;
        try {
            created = res.create();
            writes.labelValues("create", "ok").inc();
            count.incrementAndGet();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                writes.labelValues("create", retryable(e) ? "retry" : "rejected").inc();
                throw e;
            }
            created = null; // it exists already (written before a restart): set its status
        }
        Object status = created == null ? null : map(created.getAdditionalProperties().get("status")).get("objectResourceVersion");
        if (!a.resourceVersion().equals(status) && !patchStatus(res, a.resourceVersion())) {
            throw new KubernetesClientException("ObjectSync " + name + " vanished while its status was set", 409, null);
        }
    }

    /** Sets the status' version; false when the record does not exist. */
    private boolean patchStatus(Resource<GenericKubernetesResource> res, String version) {
        try {
            res.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                    KubeObjects.JSON.createObjectNode().set("status", KubeObjects.JSON.createObjectNode()
                            .put("objectResourceVersion", version)).toString());
            writes.labelValues("status", "ok").inc();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return false;
            }
            writes.labelValues("status", retryable(e) ? "retry" : "rejected").inc();
            throw e;
        }
    }

    private GenericKubernetesResource record(Change c, ResourceType type) {
        Acked a = c.acked();
        ObjectMeta meta = new ObjectMetaBuilder().withName(objectName(c.node(), c.uid())).withNamespace(a.namespace())
                .addToLabels(NODE_LABEL, nodeLabel(c.node())).addToAnnotations(NODE_ANNOTATION, c.node()).build();
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion(ReliableSyncCrds.API_VERSION);
        r.setKind(a.namespace() == null ? ReliableSyncCrds.CLUSTER_OBJECT_SYNC.getKind() : ReliableSyncCrds.OBJECT_SYNC.getKind());
        r.setMetadata(meta);
        r.setAdditionalProperty("spec", Map.of("objectAPIVersion", type.apiVersion(), "objectKind", type.kind(), "objectName", a.name()));
        // Ignored on create where status is a subresource (then patched); kept by servers without one.
        r.setAdditionalProperty("status", Map.of("objectResourceVersion", a.resourceVersion()));
        return r;
    }

    private void delete(Change c, String name) {
        List<String> namespaces = new ArrayList<>();
        if (c.previous() != null) {
            namespaces.add(c.previous().namespace());
        } else {
            // Where it lives is unknown: look for it by name in both kinds.
            for (GenericKubernetesResource r : client.genericKubernetesResources(ReliableSyncCrds.OBJECT_SYNC).inAnyNamespace()
                    .withField("metadata.name", name).list().getItems()) {
                namespaces.add(r.getMetadata().getNamespace());
            }
            namespaces.add(null);
        }
        for (String ns : namespaces) {
            try {
                if (!ops(ns).withName(name).delete().isEmpty()) {
                    count.decrementAndGet();
                }
                writes.labelValues("delete", "ok").inc();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    continue;
                }
                writes.labelValues("delete", retryable(e) ? "retry" : "rejected").inc();
                throw e;
            }
        }
    }

    /**
     * Removes the records of nodes that no longer exist, and counts the records. Lists page by page, so
     * memory stays bounded however many records the cluster holds.
     */
    void collect() {
        Set<String> nodes = new HashSet<>();
        eachPage(o -> client.nodes().list(o), page -> page.forEach(n -> nodes.add(n.getMetadata().getName())));
        Set<String> gone = new HashSet<>();
        long[] left = {0};
        int[] removed = {0};
        for (boolean namespaced : new boolean[] {true, false}) {
            eachPage(o -> namespaced ? client.genericKubernetesResources(ReliableSyncCrds.OBJECT_SYNC).inAnyNamespace().withLabel(NODE_LABEL)
                    .list(o) : client.genericKubernetesResources(ReliableSyncCrds.CLUSTER_OBJECT_SYNC).withLabel(NODE_LABEL).list(o), page -> {
                for (GenericKubernetesResource r : page) {
                    left[0]++;
                    String node = annotation(r);
                    if (node != null && !gone.contains(node)) {
                        // The records are listed after the nodes: a node created since is confirmed before its records go.
                        if (nodes.contains(node) || client.nodes().withName(node).get() != null) {
                            nodes.add(node);
                            continue;
                        }
                        gone.add(node);
                    }
                    try {
                        ops(r.getMetadata().getNamespace()).withName(r.getMetadata().getName()).delete();
                        left[0]--;
                        removed[0]++;
                        collected.inc();
                    } catch (KubernetesClientException e) {
                        if (e.getCode() != 404) {
                            throw e;
                        }
                    }
                }
            });
        }
        count.set(left[0]);
        if (removed[0] > 0) {
            log.info("removed {} ObjectSync records of {} nodes that no longer exist", removed[0], gone.size());
        }
    }

    private static <T extends HasMetadata> void eachPage(Function<ListOptions, ? extends KubernetesResourceList<T>> list,
                                                       Consumer<List<T>> page) {
        String next = null;
        do {
            KubernetesResourceList<T> l = list.apply(new ListOptionsBuilder().withLimit(PAGE).withContinue(next).build());
            page.accept(l.getItems());
            next = l.getMetadata() == null ? null : l.getMetadata().getContinue();
        } while (next != null && !next.isEmpty());
    }

    /** Writes what is pending (for at most the close deadline), then stops; logs what could not be written. */
    @Override
    public void close() {
        closing = true;
        writer.shutdown(); // no new collections; queued tasks still run
        long deadline = System.nanoTime() + settings.closeDeadline().toNanos();
        try {
            while (pendingCount() > 0 && System.nanoTime() < deadline) {
                if (!writer.isTerminated()) {
                    writer.awaitTermination(100, TimeUnit.MILLISECONDS);
                    continue;
                }
                drain(); // the writer has stopped: finish on this thread
                if (pendingCount() > 0) {
                    Thread.sleep(Math.max(50, backoffMillis));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writer.shutdownNow();
        lanes.shutdownNow();
        int left = pendingCount();
        if (left > 0) {
            log.warn("stopping with {} ObjectSync changes not written (the API failed): those objects are sent again after the restart, "
                    + "or their deletes repeated", left);
        }
    }
}
