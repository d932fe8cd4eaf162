package io.kedge.cloud.endpoints;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.ResourceStore;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.Watch;
import io.kedge.common.kubeapi.WatchEvent;
import io.kedge.common.kubeapi.WatchListener;
import io.kedge.common.kubeapi.WriteOptions;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every Service's EndpointSlices (and v1 Endpoints) equal to what {@link DesiredEndpoints}
 * derives from the Service and its Pods: desired state, diff with what is stored, apply. Runs in the
 * process that owns the store and talks to it directly.
 *
 * <p>Store watches only mark work (a Service, or a namespace whose Pods changed) and return at once;
 * one worker thread reconciles what is marked. A write that loses a race (409) or fails is retried
 * with backoff; everything is also reconciled periodically, which removes slices of Services that
 * vanished while nothing was watching.
 */
public final class EndpointsController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EndpointsController.class);
    private static final ResourceType SERVICES = BuiltinTypes.SERVICES;
    private static final ResourceType PODS = BuiltinTypes.PODS;
    private static final ResourceType ENDPOINTS = BuiltinTypes.ENDPOINTS;
    private static final ResourceType SLICES = BuiltinTypes.ENDPOINT_SLICES;
    private static final int MAX_RETRIES = 8;

    /** A Service by namespace and name. */
    record ServiceKey(String namespace, String name) {
    }

    private final ResourceStore store;
    private final Duration resyncPeriod;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Set<ServiceKey> dirtyServices = new LinkedHashSet<>();
    private final Set<String> dirtyNamespaces = new LinkedHashSet<>();
    private final Map<ServiceKey, Integer> failures = new HashMap<>();
    private final Map<ServiceKey, Long> retryAt = new HashMap<>();
    private final List<Watch> watches = new ArrayList<>();
    private final Counter reconciles;
    private final Thread worker;
    private boolean resyncDue = true;
    private boolean busy;
    private volatile boolean closed;

    public EndpointsController(ResourceStore store, Duration resyncPeriod, PrometheusRegistry metrics) {
        this.store = store;
        this.resyncPeriod = resyncPeriod;
        this.reconciles = Counter.builder().name("kedge_endpoints_reconciles_total")
                .help("Service endpoint reconciliations by result (unchanged, changed, failed)").labelNames("result").register(metrics);
        this.worker = new Thread(this::run, "endpoints-controller");
        worker.setDaemon(true);
    }

    /** Starts watching and reconciling. */
    public void start() {
        String from = Long.toString(store.resourceVersion());
        // Live changes from now on; the first pass (resyncDue) covers everything already stored.
        watches.add(store.watch(SERVICES, null, from, listener(e -> markService(e.object()))));
        watches.add(store.watch(PODS, null, from, listener(e -> markNamespace(KubeObjects.namespace(e.object())))));
        watches.add(store.watch(ENDPOINTS, null, from, listener(e -> markService(e.object()))));
        watches.add(store.watch(SLICES, null, from, listener(e -> {
            String service = KubeObjects.label(e.object(), DesiredEndpoints.SERVICE_NAME);
            if (service != null) {
                mark(new ServiceKey(KubeObjects.namespace(e.object()), service));
            }
        })));
        worker.start();
    }

    private WatchListener listener(java.util.function.Consumer<WatchEvent> onChange) {
        return new WatchListener() {
            @Override
            public void onEvent(WatchEvent event) {
                if (event.type() != WatchEvent.Type.BOOKMARK) {
                    onChange.accept(event);
                }
            }

            @Override
            public void onClose(ApiException reason) {
                if (!closed) {
                    log.warn("a store watch of the endpoints controller ended ({}); resyncing", reason == null ? "" : reason.getMessage());
                    requestResync();
                }
            }
        };
    }

    private void markService(JsonNode object) {
        mark(new ServiceKey(KubeObjects.namespace(object), KubeObjects.name(object)));
    }

    private void mark(ServiceKey key) {
        lock.lock();
        try {
            dirtyServices.add(key);
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    private void markNamespace(String namespace) {
        lock.lock();
        try {
            dirtyNamespaces.add(namespace);
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    private void requestResync() {
        lock.lock();
        try {
            resyncDue = true;
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        long nextResync = System.nanoTime() + resyncPeriod.toNanos();
        while (!closed) {
            Set<ServiceKey> services;
            Set<String> namespaces;
            boolean resync;
            lock.lock();
            try {
                long now = System.nanoTime();
                retryAt.entrySet().removeIf(e -> {
                    if (e.getValue() <= now) {
                        dirtyServices.add(e.getKey());
                        return true;
                    }
                    return false;
                });
                if (now >= nextResync) {
                    resyncDue = true;
                }
                if (dirtyServices.isEmpty() && dirtyNamespaces.isEmpty() && !resyncDue) {
                    long wait = nextResync - now;
                    for (long at : retryAt.values()) {
                        wait = Math.min(wait, at - now);
                    }
                    work.await(Math.max(1, wait), TimeUnit.NANOSECONDS);
                    continue;
                }
                services = new LinkedHashSet<>(dirtyServices);
                namespaces = new LinkedHashSet<>(dirtyNamespaces);
                resync = resyncDue;
                dirtyServices.clear();
                dirtyNamespaces.clear();
                resyncDue = false;
                busy = true;
                if (resync) {
                    nextResync = now + resyncPeriod.toNanos();
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            try {
                if (resync) {
                    services.addAll(everything());
                }
                for (String ns : namespaces) {
                    for (ObjectNode svc : store.list(SERVICES, ns).items()) {
                        services.add(new ServiceKey(ns, KubeObjects.name(svc)));
                    }
                }
                for (ServiceKey key : services) {
                    if (closed) {
                        return;
                    }
                    reconcileWithRetry(key);
                }
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                log.warn("endpoints pass failed ({}); resyncing shortly", e.toString());
                sleepQuietly(Duration.ofSeconds(1));
                requestResync();
            } finally {
                lock.lock();
                try {
                    busy = false;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** Every Service, and every Service name that still has slices or managed Endpoints (to clean up). */
    private Set<ServiceKey> everything() {
        Set<ServiceKey> keys = new LinkedHashSet<>();
        for (ObjectNode svc : store.list(SERVICES, null).items()) {
            keys.add(new ServiceKey(KubeObjects.namespace(svc), KubeObjects.name(svc)));
        }
        for (ObjectNode slice : store.list(SLICES, null).items()) {
            String service = KubeObjects.label(slice, DesiredEndpoints.SERVICE_NAME);
            if (service != null && managedSlice(slice)) {
                keys.add(new ServiceKey(KubeObjects.namespace(slice), service));
            }
        }
        for (ObjectNode ep : store.list(ENDPOINTS, null).items()) {
            if (managedEndpoints(ep)) {
                keys.add(new ServiceKey(KubeObjects.namespace(ep), KubeObjects.name(ep)));
            }
        }
        return keys;
    }

    private void reconcileWithRetry(ServiceKey key) {
        try {
            boolean changed = reconcile(key);
            reconciles.labelValues(changed ? "changed" : "unchanged").inc();
            lock.lock();
            try {
                failures.remove(key);
            } finally {
                lock.unlock();
            }
        } catch (ApiException e) {
            if (e.code() == 503 && closed) {
                return;
            }
            reconciles.labelValues("failed").inc();
            lock.lock();
            try {
                int n = failures.merge(key, 1, Integer::sum);
                if (n <= MAX_RETRIES) {
                    long delay = Math.min(30_000, 50L << Math.min(n, 10));
                    retryAt.put(key, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay));
                    log.debug("endpoints of {} not reconciled ({}); retry {} in {} ms", key, e.getMessage(), n, delay);
                } else {
                    failures.remove(key);
                    log.warn("endpoints of {}/{} not reconciled after {} tries ({}); next resync retries", key.namespace(),
                            key.name(), MAX_RETRIES, e.getMessage());
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Brings one Service's slices and Endpoints to the desired state; true when anything was written. */
    boolean reconcile(ServiceKey key) {
        ObjectNode service = find(SERVICES, key.namespace(), key.name());
        ObjectNode endpoints = find(ENDPOINTS, key.namespace(), key.name());
        DesiredEndpoints.Result desired;
        if (service == null) {
            desired = new DesiredEndpoints.Result(List.of(), null);
        } else {
            List<ObjectNode> pods = DesiredEndpoints.hasSelector(service) ? store.list(PODS, key.namespace()).items() : List.of();
            desired = DesiredEndpoints.compute(service, pods, endpoints);
        }
        boolean changed = applySlices(key, desired.slices());
        changed |= applyEndpoints(endpoints, desired.endpoints());
        return changed;
    }

    private boolean applySlices(ServiceKey key, List<ObjectNode> desired) {
        Map<String, ObjectNode> existing = new HashMap<>();
        for (ObjectNode slice : store.list(SLICES, key.namespace()).items()) {
            if (key.name().equals(KubeObjects.label(slice, DesiredEndpoints.SERVICE_NAME)) && managedSlice(slice)) {
                existing.put(KubeObjects.name(slice), slice);
            }
        }
        boolean changed = false;
        for (ObjectNode want : desired) {
            ObjectNode have = existing.remove(KubeObjects.name(want));
            if (have == null) {
                createOrReplace(SLICES, want);
                changed = true;
            } else if (differs(have, want, "addressType", "endpoints", "ports")) {
                store.update(SLICES, carryIdentity(have, want), WriteOptions.DEFAULT);
                changed = true;
            }
        }
        for (ObjectNode stale : existing.values()) {
            delete(SLICES, stale);
            changed = true;
        }
        return changed;
    }

    private boolean applyEndpoints(ObjectNode have, ObjectNode want) {
        if (want == null) {
            if (have != null && managedEndpoints(have)) {
                delete(ENDPOINTS, have);
                return true;
            }
            return false;
        }
        if (have == null) {
            createOrReplace(ENDPOINTS, want);
            return true;
        }
        // A selector Service's Endpoints belong to the controller, even if someone wrote them by hand.
        if (differs(have, want, "subsets")) {
            store.update(ENDPOINTS, carryIdentity(have, want), WriteOptions.DEFAULT);
            return true;
        }
        return false;
    }

    private void createOrReplace(ResourceType type, ObjectNode want) {
        try {
            store.create(type, want, WriteOptions.DEFAULT);
        } catch (ApiException e) {
            if (e.code() == 409) {
                // Created meanwhile (or a stale copy survived): retried through the normal backoff.
                throw ApiException.conflict(type.groupResource(), KubeObjects.name(want), "exists already; retrying");
            }
            if (e.code() == 404 || e.code() == 403) {
                // The namespace is gone or going: nothing to keep in sync there.
                return;
            }
            throw e;
        }
    }

    private void delete(ResourceType type, ObjectNode object) {
        try {
            store.delete(type, KubeObjects.namespace(object), KubeObjects.name(object),
                    new Preconditions(KubeObjects.uid(object), null), WriteOptions.DEFAULT);
        } catch (ApiException e) {
            if (e.code() != 404) {
                throw e;
            }
        }
    }

    /** The desired object with the stored one's identity and resourceVersion (a conflict-checked update). */
    private static ObjectNode carryIdentity(ObjectNode have, ObjectNode want) {
        ObjectNode next = want.deepCopy();
        KubeObjects.metadata(next).put("resourceVersion", KubeObjects.resourceVersion(have));
        return next;
    }

    private static boolean differs(ObjectNode have, ObjectNode want, String... fields) {
        JsonNode haveMeta = have.path("metadata");
        JsonNode wantMeta = want.path("metadata");
        if (!haveMeta.path("labels").equals(wantMeta.path("labels"))
                || !haveMeta.path("ownerReferences").equals(wantMeta.path("ownerReferences"))) {
            return true;
        }
        for (String f : fields) {
            if (!have.path(f).equals(want.path(f))) {
                return true;
            }
        }
        return false;
    }

    private static boolean managedSlice(JsonNode slice) {
        String by = KubeObjects.label(slice, DesiredEndpoints.MANAGED_BY);
        return DesiredEndpoints.MANAGED_BY_CONTROLLER.equals(by) || DesiredEndpoints.MANAGED_BY_MIRROR.equals(by);
    }

    private static boolean managedEndpoints(JsonNode endpoints) {
        return DesiredEndpoints.ENDPOINTS_CONTROLLER.equals(KubeObjects.label(endpoints, DesiredEndpoints.ENDPOINTS_MANAGED_BY));
    }

    private ObjectNode find(ResourceType type, String namespace, String name) {
        try {
            return store.get(type, namespace, name);
        } catch (ApiException e) {
            if (e.code() == 404) {
                return null;
            }
            throw e;
        }
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True when nothing is waiting to be reconciled (for tests and readiness). */
    public boolean idle() {
        lock.lock();
        try {
            return !busy && dirtyServices.isEmpty() && dirtyNamespaces.isEmpty() && !resyncDue && retryAt.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        closed = true;
        watches.forEach(Watch::close);
        worker.interrupt();
        try {
            worker.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
