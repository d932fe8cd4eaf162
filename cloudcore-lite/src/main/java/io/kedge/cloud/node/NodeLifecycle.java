package io.kedge.cloud.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceStore;
import io.kedge.common.kubeapi.WriteOptions;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node objects of edge nodes: created when a node first connects, Ready while its keepalives come,
 * NotReady once none came for {@code grace}. The Ready condition's heartbeat time is refreshed at
 * most every {@code heartbeatRefresh}: each write is a change every node receives, so writing on
 * every keepalive would flood the edges.
 */
public final class NodeLifecycle implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeLifecycle.class);

    private final ResourceStore store;
    private final Duration grace;
    private final Duration heartbeatRefresh;
    private final Clock clock;
    private final Map<String, Instant> lastSeen = new ConcurrentHashMap<>();
    private final Map<String, Boolean> ready = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastWritten = new ConcurrentHashMap<>();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "node-lifecycle");
        t.setDaemon(true);
        return t;
    });

    public NodeLifecycle(ResourceStore store, Duration grace, Duration heartbeatRefresh, Clock clock, PrometheusRegistry metrics) {
        this.store = store;
        this.grace = grace;
        this.heartbeatRefresh = heartbeatRefresh;
        this.clock = clock;
        GaugeWithCallback.builder().name("kedge_edge_nodes").help("Edge nodes known to the lifecycle controller, by readiness")
                .labelNames("ready").callback(cb -> {
                    long up = ready.values().stream().filter(b -> b).count();
                    cb.call(up, "true");
                    cb.call(ready.size() - up, "false");
                }).register(metrics);
    }

    public void start() {
        // Edge nodes Ready in the store when we start (after a restart of cloudcore-lite) get the grace
        // period to reconnect; the ones that do not go NotReady instead of staying Ready forever.
        Instant now = clock.instant();
        try {
            for (ObjectNode n : store.list(BuiltinTypes.NODES, null).items()) {
                if (n.path("metadata").path("labels").has("node-role.kubernetes.io/edge")) {
                    String name = KubeObjects.name(n);
                    boolean isReady = false;
                    for (JsonNode c : n.path("status").path("conditions")) {
                        isReady |= "Ready".equals(c.path("type").asText()) && "True".equals(c.path("status").asText());
                    }
                    lastSeen.put(name, now);
                    ready.put(name, isReady);
                    lastWritten.put(name, now);
                }
            }
        } catch (RuntimeException e) {
            log.warn("cannot list the known nodes: {}", e.toString());
        }
        worker.scheduleWithFixedDelay(this::checkGrace, 2, 2, TimeUnit.SECONDS);
    }

    /** A node connected (from {@code address}): its Node exists and is Ready. */
    public void connected(String node, String address) {
        lastSeen.put(node, clock.instant());
        submit(() -> setReady(node, true, address));
    }

    /** A keepalive (or any message) came from the node. */
    public void heartbeat(String node) {
        lastSeen.put(node, clock.instant());
        Boolean r = ready.get(node);
        Instant written = lastWritten.get(node);
        if (r == null || !r || written == null || clock.instant().isAfter(written.plus(heartbeatRefresh))) {
            submit(() -> setReady(node, true, null));
        }
    }

    private void checkGrace() {
        Instant now = clock.instant();
        lastSeen.forEach((node, seen) -> {
            if (Boolean.TRUE.equals(ready.get(node)) && now.isAfter(seen.plus(grace))) {
                setReady(node, false, null);
            }
        });
    }

    private void submit(Runnable task) {
        try {
            worker.execute(task);
        } catch (RejectedExecutionException closing) {
            // stopping
        }
    }

    private void setReady(String node, boolean isReady, String address) {
        try {
            Instant now = clock.instant();
            ObjectNode existing;
            try {
                existing = store.get(BuiltinTypes.NODES, null, node);
            } catch (ApiException e) {
                if (e.code() != 404) {
                    throw e;
                }
                existing = null;
            }
            if (existing == null) {
                ObjectNode created = KubeObjects.JSON.createObjectNode();
                created.put("apiVersion", "v1").put("kind", "Node");
                ObjectNode meta = created.putObject("metadata");
                meta.put("name", node);
                meta.putObject("labels").put("node-role.kubernetes.io/edge", "").put("kubernetes.io/hostname", node)
                        .put("node-role.kubernetes.io/agent", "");
                created.putObject("spec");
                existing = store.create(BuiltinTypes.NODES, created, WriteOptions.DEFAULT);
                log.info("node {} registered", node);
            }
            ObjectNode next = existing.deepCopy();
            ObjectNode status = next.with("status");
            ArrayNode conditions = status.withArray("conditions");
            ObjectNode readyCondition = null;
            for (JsonNode c : conditions) {
                if ("Ready".equals(c.path("type").asText())) {
                    readyCondition = (ObjectNode) c;
                }
            }
            String wanted = isReady ? "True" : "False";
            if (readyCondition == null) {
                readyCondition = conditions.addObject().put("type", "Ready");
            }
            boolean transition = !wanted.equals(readyCondition.path("status").asText());
            readyCondition.put("status", wanted);
            readyCondition.put("reason", isReady ? "EdgeReady" : "EdgeNodeUnreachable");
            readyCondition.put("message", isReady ? "edge node is connected to cloudcore-lite"
                    : "no keepalive from the edge node for " + grace.toSeconds() + "s");
            readyCondition.put("lastHeartbeatTime", KubeObjects.timestamp(isReady ? now : lastSeen.getOrDefault(node, now)));
            if (transition) {
                readyCondition.put("lastTransitionTime", KubeObjects.timestamp(now));
            }
            if (address != null) {
                ArrayNode addresses = status.putArray("addresses");
                addresses.addObject().put("type", "InternalIP").put("address", address);
                addresses.addObject().put("type", "Hostname").put("address", node);
            }
            store.update(BuiltinTypes.NODES, next, WriteOptions.STATUS);
            ready.put(node, isReady);
            lastWritten.put(node, now);
            if (transition) {
                log.info("node {} is {}", node, isReady ? "Ready" : "NotReady");
            }
        } catch (RuntimeException e) {
            log.warn("cannot update node {}: {}", node, e.toString());
        }
    }

    /** Whether the controller currently considers {@code node} Ready (null when unknown). */
    public Boolean isReady(String node) {
        return ready.get(node);
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
