package io.kedge.cloud.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceStore;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.Watch;
import io.kedge.common.kubeapi.WatchEvent;
import io.kedge.common.kubeapi.WatchListener;
import io.kedge.common.kubeedge.Message;
import io.kedge.common.kubeedge.MessageCodec;
import io.kedge.common.kubeedge.Operations;
import io.kedge.common.kubeedge.ResourceVersions;
import io.kedge.common.kubeedge.SyncedTypes;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reliable delivery of the cluster's objects to every connected edge node (KubeEdge's
 * edgecontroller + synccontroller, at-least-once).
 *
 * <p>Desired state: the objects of the synced kinds in the store, watched. Per node: the versions it
 * acknowledged ({@link SyncRecords}), and a {@link NodeQueue}. A reconcile (on connect, and every
 * {@code reconcileInterval}) diffs the two and queues what is newer and deletes for what vanished;
 * live changes are queued as they happen. Everything runs on one thread ("sync"), which sends without
 * blocking and records ACKs in batches; only the read of a connecting node's records happens on
 * reader threads, since the records may live in the cluster (ObjectSyncs).
 */
public final class SyncController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncController.class);

    /** The way to one node's connection; sending must not block. */
    public interface Outbound {
        void send(String frame);
    }

    /**
     * {@code allNodeObjects}: every node receives every Node object; otherwise (KubeEdge's way) only its
     * own, which keeps the fan-out linear in the number of nodes rather than quadratic.
     * {@code maxInFlight}: unacknowledged messages across all nodes; beyond it new sends wait, so a
     * burst (thousands of nodes syncing at once) does not queue more than can be ACKed within the
     * timeout, which would only cause resends.
     */
    public record Settings(int window, int maxTries, Duration ackTimeout, Duration backoff, Duration reconcileInterval,
                           boolean allNodeObjects, int maxInFlight) {
        public static final Settings DEFAULT = new Settings(128, 5, Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(5),
                false, 20_000);
    }

    private final ResourceStore store;
    private final SyncRecords records;
    private final Settings settings;
    private final Clock clock;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sync");
        t.setDaemon(true);
        return t;
    });
    /** Reads nodes' records when they connect; a few at once, as a reconnect storm reads thousands. */
    private final ExecutorService recordReaders = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "sync-records-read");
        t.setDaemon(true);
        return t;
    });
    private final List<Watch> watches = new ArrayList<>();
    /** Desired objects (loop thread only). */
    private final DesiredObjects desired = new DesiredObjects();
    /** Per connected node (loop thread only). */
    private final Map<String, NodeState> nodes = new HashMap<>();
    /** Nodes whose records are being read, with their newest connection (loop thread only). */
    private final Map<String, Outbound> loading = new HashMap<>();
    private final List<SyncRecords.Change> unrecorded = new ArrayList<>();
    /** When each object version appeared in the store, for the fan-out latency histogram. */
    private final Map<String, Instant> changedAt = new HashMap<>();
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicInteger pendingTotal = new AtomicInteger();
    private final AtomicInteger inFlightTotal = new AtomicInteger();
    private final AtomicLong retriesTotal = new AtomicLong();
    private final Counter sent;
    private final Counter acked;
    private final Counter refused;
    private final Histogram ackLatency;
    private final Set<String> initialisedTypes = ConcurrentHashMap.newKeySet();
    private long pumpRound;

    private static final class NodeState {
        final String name;
        Outbound out;
        final NodeQueue queue;
        final Map<String, SyncRecords.Acked> acked;

        NodeState(String name, NodeQueue queue, Map<String, SyncRecords.Acked> acked) {
            this.name = name;
            this.queue = queue;
            this.acked = acked;
        }
    }

    public SyncController(ResourceStore store, SyncRecords records, Settings settings, Clock clock, PrometheusRegistry metrics) {
        this.store = store;
        this.records = records;
        this.settings = settings;
        this.clock = clock;
        sent = Counter.builder().name("kedge_sync_messages_sent_total").help("Object messages sent to edge nodes (retry: resent after no ACK)")
                .labelNames("kind").register(metrics);
        acked = Counter.builder().name("kedge_sync_messages_acked_total").help("Object messages edge nodes acknowledged").register(metrics);
        refused = Counter.builder().name("kedge_sync_messages_refused_total").help("Object messages edge nodes answered with an error")
                .register(metrics);
        ackLatency = Histogram.builder().name("kedge_sync_change_to_ack_seconds")
                .help("From a change in the store to an edge node's ACK of it").register(metrics);
        GaugeWithCallback.builder().name("kedge_sync_queue_depth").help("Object states waiting to be sent, all nodes")
                .callback(cb -> cb.call(pendingTotal.get())).register(metrics);
        GaugeWithCallback.builder().name("kedge_sync_unacked").help("Messages sent and not yet acknowledged, all nodes")
                .callback(cb -> cb.call(inFlightTotal.get())).register(metrics);
        GaugeWithCallback.builder().name("kedge_sync_connected_resends").help("Messages resent after no ACK came in time, to the nodes connected now")
                .callback(cb -> cb.call(retriesTotal.get())).register(metrics);
    }

    public void start() {
        for (ResourceType type : SyncedTypes.all()) {
            String kubeEdgeType = SyncedTypes.nameOf(type).orElseThrow();
            watches.add(store.watch(type, null, null, new WatchListener() {
                @Override
                public void onEvent(WatchEvent event) {
                    submit(() -> onChange(type, kubeEdgeType, event));
                }

                @Override
                public void onClose(io.kedge.common.kubeapi.ApiException reason) {
                    log.warn("the store ended the watch of {}: {}", type.plural(), reason == null ? "closed" : reason.getMessage());
                }
            }));
        }
        loop.scheduleWithFixedDelay(this::pump, 20, 20, TimeUnit.MILLISECONDS);
        long every = settings.reconcileInterval().toMillis();
        loop.scheduleWithFixedDelay(this::reconcileAll, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * A node connected: its records are read (on a reader thread: a remote store must not hold the
     * sync thread), then everything it misses is queued.
     */
    public void attach(String node, Outbound out) {
        submit(() -> {
            NodeState state = nodes.get(node);
            if (state != null) {
                state.queue.reset();
                state.out = out;
                reconcile(state);
                return;
            }
            if (loading.put(node, out) != null) {
                return; // a read is under way; it binds this newest connection
            }
            flushRecords(); // ACKs of an earlier session of this node must be in the records read next
            try {
                CompletableFuture.supplyAsync(() -> records.forNode(node), recordReaders)
                        .whenComplete((acked, failure) -> submit(() -> loaded(node, acked, failure)));
            } catch (RejectedExecutionException closing) {
                loading.remove(node);
            }
        });
    }

    private void loaded(String node, Map<String, SyncRecords.Acked> acked, Throwable failure) {
        Outbound out = loading.remove(node);
        if (out == null) {
            return; // disconnected meanwhile
        }
        if (failure != null) {
            log.warn("cannot read the sync records of node {} ({}): it receives every object again, and deletes of objects removed "
                    + "while it was away are not sent in this session", node, failure.toString());
            acked = Map.of();
        }
        NodeState state = new NodeState(node, new NodeQueue(settings.window(), settings.maxTries(), settings.ackTimeout(), settings.backoff()),
                new HashMap<>(acked));
        nodes.put(node, state);
        connected.incrementAndGet();
        state.out = out;
        reconcile(state);
    }

    /** A node's connection closed (only if {@code out} is still its current one). */
    public void detach(String node, Outbound out) {
        submit(() -> {
            if (loading.get(node) == out) {
                loading.remove(node);
                return;
            }
            NodeState state = nodes.get(node);
            if (state != null && state.out == out) {
                nodes.remove(node);
                connected.decrementAndGet();
            }
        });
    }

    /** A reply from a node: an ACK ({@code response}) or a refusal ({@code error}) of one of our messages. */
    public void reply(String node, Message message) {
        submit(() -> {
            NodeState state = nodes.get(node);
            if (state == null) {
                return;
            }
            SyncItem item = state.queue.complete(message.header().parentMsgId());
            if (item == null) {
                return; // a late duplicate ACK of a message already completed
            }
            if (Operations.ERROR.equals(message.operation())) {
                refused.inc();
                log.warn("node {} refused {} {}: {}", node, item.operation(), item.path(), message.content());
                // Not retried: the same state would be refused again. A newer state is sent as usual.
            } else {
                acked.inc();
                Instant at = changedAt.get(item.uid() + "@" + item.resourceVersion());
                if (at != null) {
                    ackLatency.observe(Duration.between(at, clock.instant()).toNanos() / 1e9);
                }
            }
            if (item.isDelete()) {
                SyncRecords.Acked previous = state.acked.remove(item.uid());
                unrecorded.add(new SyncRecords.Change(node, item.uid(), null, previous));
            } else {
                SyncRecords.Acked a = new SyncRecords.Acked(item.kubeEdgeType(), item.namespace(), item.name(), item.resourceVersion());
                SyncRecords.Acked previous = state.acked.put(item.uid(), a);
                unrecorded.add(new SyncRecords.Change(node, item.uid(), a, previous));
            }
        });
    }

    private void submit(Runnable task) {
        try {
            loop.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.error("sync task failed", e);
                }
            });
        } catch (RejectedExecutionException closing) {
            // shutting down
        }
    }

    // ---- loop thread ----

    private void onChange(ResourceType type, String kubeEdgeType, WatchEvent event) {
        if (event.type() == WatchEvent.Type.BOOKMARK) {
            if (event.initialEventsEnd()) {
                initialisedTypes.add(type.plural());
            }
            return;
        }
        ObjectNode object = event.object();
        String uid = KubeObjects.uid(object);
        if (uid == null || uid.isEmpty()) {
            return;
        }
        String rv = Long.toString(event.resourceVersion());
        SyncItem item = new SyncItem(uid, event.type() == WatchEvent.Type.DELETED ? Operations.DELETE : Operations.UPDATE, type,
                kubeEdgeType, type.namespaced() ? KubeObjects.namespace(object) : null, KubeObjects.name(object), rv, object);
        if (item.isDelete()) {
            desired.remove(uid);
        } else {
            desired.put(item);
        }
        if (initialisedTypes.contains(type.plural())) {
            changedAt.put(uid + "@" + rv, clock.instant());
            if (changedAt.size() > 100_000) {
                changedAt.clear(); // only a measurement: never let it grow without bound
            }
        }
        boolean podChange = kubeEdgeType.equals("pod");
        boolean deviceChange = kubeEdgeType.equals("device");
        for (NodeState state : nodes.values()) {
            if (podChange) {
                // ConfigMaps and Secrets follow the pods bound to a node: its wanted set may have changed.
                String boundTo = object.path("spec").path("nodeName").asText("");
                if (boundTo.equals(state.name)) {
                    reconcile(state);
                    continue;
                }
            }
            if (deviceChange) {
                // DeviceModels follow the devices of a node: where the device is, and where it was.
                boolean concerned = state.name.equals(DesiredObjects.deviceNode(object)) || state.acked.containsKey(uid)
                        || state.queue.isPending(uid);
                offer(state, item);
                if (concerned) {
                    reconcile(state);
                }
                continue;
            }
            offer(state, item);
        }
    }

    /**
     * What of the per-node selections one decision needs, computed at most once: the ConfigMaps and
     * Secrets the node's pods use, the DeviceModels its devices use.
     */
    private final class Share {
        private final String node;
        private Set<String> config;
        private Set<String> models;

        Share(String node) {
            this.node = node;
        }

        Set<String> config() {
            if (config == null) {
                config = referencedConfig(node);
            }
            return config;
        }

        Set<String> models() {
            if (models == null) {
                models = new HashSet<>();
                for (SyncItem device : desired.devicesOn(node)) {
                    String model = DesiredObjects.modelKey(device);
                    if (model != null) {
                        models.add(model);
                    }
                }
            }
            return models;
        }
    }

    private void offer(NodeState state, SyncItem item) {
        offer(state, item, new Share(state.name));
    }

    private void offer(NodeState state, SyncItem item, Share share) {
        SyncRecords.Acked a = state.acked.get(item.uid());
        if (item.isDelete()) {
            if (a != null || state.queue.isPending(item.uid())) {
                state.queue.offer(item);
            }
            return;
        }
        if (!wanted(item, share)) {
            if (a != null) {
                state.queue.offer(item.withOperation(Operations.DELETE)); // no longer meant for this node
            }
            return;
        }
        if (a == null || ResourceVersions.newer(item.resourceVersion(), a.resourceVersion())) {
            state.queue.offer(item.withOperation(a == null ? Operations.INSERT : Operations.UPDATE));
        }
    }

    /** Desired minus acknowledged: queue what is newer, delete what is gone or no longer wanted. */
    private void reconcile(NodeState state) {
        Share share = new Share(state.name);
        for (String kind : desired.kinds()) {
            switch (kind) {
                case "node" -> {
                    if (settings.allNodeObjects()) {
                        desired.ofKind(kind).forEach(item -> offer(state, item, share));
                    } else {
                        SyncItem own = desired.byKey("node", null, state.name);
                        if (own != null) {
                            offer(state, own, share);
                        }
                    }
                }
                case "configmap", "secret" -> offerReferenced(state, kind, share.config(), share);
                case "device" -> desired.devicesOn(state.name).forEach(item -> offer(state, item, share));
                case "devicemodel" -> offerReferenced(state, kind, share.models(), share);
                default -> desired.ofKind(kind).forEach(item -> offer(state, item, share));
            }
        }
        for (var it = state.acked.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, SyncRecords.Acked> e = it.next();
            SyncRecords.Acked a = e.getValue();
            SyncItem current = desired.get(e.getKey());
            if (current != null) {
                if (!wanted(current, share)) {
                    // no longer meant for this node: a pod stopped using it, a device moved away
                    state.queue.offer(current.withOperation(Operations.DELETE));
                }
                continue;
            }
            ResourceType type = SyncedTypes.byName(a.kubeEdgeType()).orElse(null);
            if (type == null) {
                // a record of a kind no longer synced: forget it (once) instead of looping on a delete
                it.remove();
                unrecorded.add(new SyncRecords.Change(state.name, e.getKey(), null, a));
                continue;
            }
            ObjectNode last = KubeObjects.JSON.createObjectNode();
            last.put("apiVersion", type.apiVersion()).put("kind", type.kind());
            ObjectNode meta = last.putObject("metadata");
            meta.put("name", a.name()).put("uid", e.getKey()).put("resourceVersion", a.resourceVersion());
            if (a.namespace() != null) {
                meta.put("namespace", a.namespace());
            }
            state.queue.offer(new SyncItem(e.getKey(), Operations.DELETE, type, a.kubeEdgeType(), a.namespace(), a.name(),
                    a.resourceVersion(), last));
        }
    }

    private void reconcileAll() {
        try {
            for (NodeState state : nodes.values()) {
                reconcile(state);
            }
        } catch (RuntimeException e) {
            log.error("periodic reconcile failed", e);
        }
    }

    /** The objects of {@code kind} named in {@code keys} ({@code kind/namespace/name}). */
    private void offerReferenced(NodeState state, String kind, Set<String> keys, Share share) {
        for (String ref : keys) {
            String[] p = ref.split("/", 3);
            SyncItem item = p[0].equals(kind) ? desired.byKey(kind, p[1], p[2]) : null;
            if (item != null) {
                offer(state, item, share);
            }
        }
    }

    /**
     * Per-node selection: Devices of the node, the DeviceModels they use, ConfigMaps and Secrets its
     * pods use, its own Node (or all, per settings); everything else goes everywhere.
     */
    private boolean wanted(SyncItem item, Share share) {
        return switch (item.kubeEdgeType()) {
            case "node" -> settings.allNodeObjects() || share.node.equals(item.name());
            case "device" -> share.node.equals(DesiredObjects.deviceNode(item.body()));
            case "devicemodel" -> share.models().contains(DesiredObjects.key(item.kubeEdgeType(), item.namespace(), item.name()));
            case "configmap", "secret" -> share.config().contains(configKey(item));
            default -> true;
        };
    }

    private static String configKey(SyncItem item) {
        return DesiredObjects.key(item.kubeEdgeType(), item.namespace(), item.name());
    }

    /** The ConfigMaps and Secrets that pods bound to {@code node} use (volumes, env, envFrom, projected). */
    private Set<String> referencedConfig(String node) {
        Set<String> out = new HashSet<>();
        for (SyncItem item : desired.podsOn(node)) {
            String ns = item.namespace();
            JsonNode spec = item.body().path("spec");
            for (JsonNode v : spec.path("volumes")) {
                addRef(out, "configmap", ns, v.path("configMap").path("name"));
                addRef(out, "secret", ns, v.path("secret").path("secretName"));
                for (JsonNode src : v.path("projected").path("sources")) {
                    addRef(out, "configmap", ns, src.path("configMap").path("name"));
                    addRef(out, "secret", ns, src.path("secret").path("name"));
                }
            }
            for (String list : List.of("containers", "initContainers")) {
                for (JsonNode c : spec.path(list)) {
                    for (JsonNode f : c.path("envFrom")) {
                        addRef(out, "configmap", ns, f.path("configMapRef").path("name"));
                        addRef(out, "secret", ns, f.path("secretRef").path("name"));
                    }
                    for (JsonNode e : c.path("env")) {
                        addRef(out, "configmap", ns, e.path("valueFrom").path("configMapKeyRef").path("name"));
                        addRef(out, "secret", ns, e.path("valueFrom").path("secretKeyRef").path("name"));
                    }
                }
            }
            for (JsonNode s : spec.path("imagePullSecrets")) {
                addRef(out, "secret", ns, s.path("name"));
            }
        }
        return out;
    }

    private static void addRef(Set<String> out, String kind, String ns, JsonNode name) {
        if (name.isTextual() && !name.asText().isEmpty()) {
            out.add(kind + "/" + ns + "/" + name.asText());
        }
    }

    /** Sends what each busy node's queue releases, then records the batch of ACKs. */
    private void pump() {
        try {
            Instant now = clock.instant();
            int pending = 0;
            int flying = 0;
            long retries = 0;
            List<NodeState> order = new ArrayList<>(nodes.values());
            int budget = settings.maxInFlight() - inFlightTotal.get();
            // Start at a different node each round, so that a small budget is shared fairly.
            int offset = order.isEmpty() ? 0 : (int) (pumpRound++ % order.size());
            for (int i = 0; i < order.size(); i++) {
                NodeState state = order.get((offset + i) % order.size());
                if (state.queue.busy() && state.out != null) {
                    for (NodeQueue.Send send : state.queue.poll(now, Math.max(0, budget))) {
                        state.out.send(MessageCodec.encode(toMessage(send)));
                        sent.labelValues(send.retry() ? "retry" : "first").inc();
                        if (!send.retry()) {
                            budget--;
                        }
                    }
                }
                pending += state.queue.pendingCount();
                flying += state.queue.inFlightCount();
                retries += state.queue.retries();
            }
            pendingTotal.set(pending);
            inFlightTotal.set(flying);
            retriesTotal.set(retries);
            flushRecords();
        } catch (RuntimeException e) {
            log.error("sync pump failed", e);
        }
    }

    private void flushRecords() {
        if (!unrecorded.isEmpty()) {
            List<SyncRecords.Change> batch = new ArrayList<>(unrecorded);
            unrecorded.clear();
            records.apply(batch);
        }
    }

    static Message toMessage(NodeQueue.Send send) {
        SyncItem item = send.item();
        return new Message(new Message.Header(send.msgId(), null, System.currentTimeMillis(), item.resourceVersion(), false),
                new Message.Route(Operations.SOURCE_EDGECONTROLLER, null, Operations.GROUP_RESOURCE, item.operation(), item.path()),
                item.body());
    }

    /** Nodes connected to this controller. */
    public int connectedNodes() {
        return connected.get();
    }

    /** Null when ready; else which kinds have not been listed yet. */
    public String problem() {
        int missing = SyncedTypes.all().size() - initialisedTypes.size();
        return missing == 0 ? null : missing + " synced kinds not listed yet";
    }

    @Override
    public void close() {
        watches.forEach(Watch::close);
        submit(this::pump); // record the last ACKs before stopping
        loop.shutdown();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.shutdownNow();
        recordReaders.shutdownNow();
    }
}
