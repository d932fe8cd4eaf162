package io.kedge.agent.discovery;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.CatalogStore;
import io.kedge.agent.catalog.Node;
import io.kedge.agent.catalog.Service;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the cluster through fabric8 informers (Services, EndpointSlices or Endpoints, Pods,
 * Nodes, and Istio DestinationRules when that CRD exists) and keeps the {@link CatalogStore} equal to
 * what they hold.
 *
 * <p>Memory: the informers keep only projections of the objects (what the catalog needs, see
 * {@link ProjectedItemStore}), list in pages, and have no namespace index, so the cluster is held once,
 * in catalog form; a rebuild only joins the projections.
 *
 * <p>Resilience: informers relist and rewatch forever, so when the API is unreachable the agent keeps
 * serving its last catalog (also across its own restarts, through {@link CatalogStateFile}) and catches
 * up when the API returns. A catalog is only published once the essential informers have synced, so
 * a half-listed cluster never replaces a complete one. Bursts of events coalesce into one rebuild.
 */
public final class ClusterDiscovery implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterDiscovery.class);
    static final ResourceDefinitionContext DESTINATION_RULE_V1BETA1 = new ResourceDefinitionContext.Builder()
            .withGroup("networking.istio.io").withVersion("v1beta1").withKind("DestinationRule").withPlural("destinationrules")
            .withNamespaced(true).build();
    static final ResourceDefinitionContext DESTINATION_RULE_V1 = new ResourceDefinitionContext.Builder()
            .withGroup("networking.istio.io").withVersion("v1").withKind("DestinationRule").withPlural("destinationrules")
            .withNamespaced(true).build();
    /** Events within this window are folded into one rebuild. */
    /** Pods and Nodes are watched untyped (see {@link CatalogTranslator.Inputs}). */
    static final ResourceDefinitionContext PODS = new ResourceDefinitionContext.Builder()
            .withGroup("").withVersion("v1").withKind("Pod").withPlural("pods").withNamespaced(true).build();
    static final ResourceDefinitionContext NODES = new ResourceDefinitionContext.Builder()
            .withGroup("").withVersion("v1").withKind("Node").withPlural("nodes").withNamespaced(false).build();
    static final Duration DEBOUNCE = Duration.ofMillis(50);
    static final Duration CAPABILITY_RETRY = Duration.ofSeconds(2);
    static final Duration DESTINATION_RULE_RECHECK = Duration.ofSeconds(30);
    /** Objects per list request: bounds the transient memory of a (re)list of a large cluster. */
    static final long LIST_PAGE = 500;

    private final KubernetesClient client;
    private final CatalogTranslator translator;
    private final CatalogStore store;
    private final CatalogStateFile stateFile;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "discovery");
        t.setDaemon(true);
        return t;
    });
    private final List<SharedIndexInformer<?>> essential = new CopyOnWriteArrayList<>();
    private final List<SharedIndexInformer<?>> optional = new CopyOnWriteArrayList<>();
    private final AtomicBoolean rebuildPending = new AtomicBoolean();
    private final Counter rebuilds;
    private final ProjectedItemStore<io.fabric8.kubernetes.api.model.Service, Service> services;
    private final ProjectedItemStore<EndpointSlice, CatalogTranslator.EndpointGroup> slices;
    private final ProjectedItemStore<Endpoints, CatalogTranslator.EndpointGroup> endpoints;
    private final ProjectedItemStore<GenericKubernetesResource, CatalogTranslator.PodPlacement> pods =
            new ProjectedItemStore<>("Pod", CatalogTranslator::podPlacement, GenericKubernetesResource::new);
    private final ProjectedItemStore<GenericKubernetesResource, Node> nodes =
            new ProjectedItemStore<>("Node", CatalogTranslator::node, GenericKubernetesResource::new);
    private volatile SharedIndexInformer<?> podInformer;
    private volatile SharedIndexInformer<?> nodeInformer;
    private volatile boolean useSlices;
    private volatile SharedIndexInformer<GenericKubernetesResource> destinationRules;
    private volatile boolean started;
    private volatile boolean published;
    private volatile Instant lastPublished;
    private volatile String lastError;
    private volatile boolean closed;
    private ScheduledFuture<?> ruleRecheck;

    public ClusterDiscovery(KubernetesClient client, CatalogTranslator translator, CatalogStore store,
                            CatalogStateFile stateFile, PrometheusRegistry metrics) {
        this.client = client;
        this.translator = translator;
        this.store = store;
        this.stateFile = stateFile;
        // Projections keep the parts of the served catalog that they equal (SharedParts): after a restart,
        // the saved catalog's.
        this.services = new ProjectedItemStore<>("Service", s -> SharedParts.reuse(translator.service(s), store.current()),
                io.fabric8.kubernetes.api.model.Service::new);
        this.slices = new ProjectedItemStore<>("EndpointSlice",
                s -> SharedParts.reuse(CatalogTranslator.endpointGroup(s), store.current()), EndpointSlice::new);
        this.endpoints = new ProjectedItemStore<>("Endpoints",
                e -> SharedParts.reuse(CatalogTranslator.endpointGroup(e), store.current()), Endpoints::new);
        this.rebuilds = Counter.builder().name("kedge_agent_catalog_rebuilds_total")
                .help("Catalog rebuilds from the informers' contents").register(metrics);
        GaugeWithCallback.builder().name("kedge_agent_api_watching")
                .help("1 when every essential informer is connected to the API and watching")
                .callback(cb -> cb.call(watching() ? 1 : 0)).register(metrics);
        GaugeWithCallback.builder().name("kedge_agent_catalog_services")
                .help("Services in the current catalog").callback(cb -> cb.call(store.current().services().size())).register(metrics);
        GaugeWithCallback.builder().name("kedge_agent_catalog_endpoints")
                .help("Endpoints in the current catalog")
                .callback(cb -> cb.call(store.current().endpoints().values().stream().mapToInt(List::size).sum())).register(metrics);
    }

    /**
     * Serves the saved catalog (if any) at once, then connects to the API in the background.
     * Never blocks on the API.
     */
    public void start() {
        if (stateFile != null) {
            stateFile.load().ifPresent(saved -> {
                store.update(current -> current.generation() == 0 ? saved : current);
                log.info("serving the saved catalog ({} services) until the API answers", saved.services().size());
            });
        }
        scheduler.execute(this::startInformers);
    }

    /** Learns what the API serves, then starts the informers; retried until it works or we close. */
    private void startInformers() {
        if (closed) {
            return;
        }
        try {
            useSlices = serves("discovery.k8s.io/v1", "endpointslices");
        } catch (RuntimeException e) {
            lastError = "API unreachable: " + rootMessage(e);
            log.warn("cannot reach the Kubernetes API ({}); serving the last known catalog, retrying in {}s", lastError,
                    CAPABILITY_RETRY.toSeconds());
            scheduler.schedule(this::startInformers, CAPABILITY_RETRY.toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        log.info("watching the API with {}", useSlices ? "EndpointSlices" : "Endpoints (no discovery.k8s.io/v1)");
        inform(client.services().inAnyNamespace().withLimit(LIST_PAGE).runnableInformer(0), services, essential);
        if (useSlices) {
            inform(client.discovery().v1().endpointSlices().inAnyNamespace().withLimit(LIST_PAGE).runnableInformer(0), slices, essential);
        } else {
            inform(client.endpoints().inAnyNamespace().withLimit(LIST_PAGE).runnableInformer(0), endpoints, essential);
        }
        podInformer = inform(client.genericKubernetesResources(PODS).inAnyNamespace().withLimit(LIST_PAGE).runnableInformer(0),
                pods, optional);
        nodeInformer = inform(client.genericKubernetesResources(NODES).withLimit(LIST_PAGE).runnableInformer(0), nodes, optional);
        started = true;
        startDestinationRules();
        if (destinationRules == null) {
            ruleRecheck = scheduler.scheduleWithFixedDelay(this::startDestinationRules, DESTINATION_RULE_RECHECK.toMillis(),
                    DESTINATION_RULE_RECHECK.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Starts watching DestinationRules once their CRD exists (checked now and periodically). */
    private void startDestinationRules() {
        if (destinationRules != null || closed) {
            return;
        }
        try {
            ResourceDefinitionContext context = serves("networking.istio.io/v1", "destinationrules") ? DESTINATION_RULE_V1
                    : serves("networking.istio.io/v1beta1", "destinationrules") ? DESTINATION_RULE_V1BETA1 : null;
            if (context == null) {
                return;
            }
            log.info("DestinationRules found ({}); load-balancing policies follow them", context.getVersion());
            // Few and small: kept whole, in the informer's own cache.
            destinationRules = inform(client.genericKubernetesResources(context).inAnyNamespace().runnableInformer(0), null,
                    optional);
            if (ruleRecheck != null) {
                ruleRecheck.cancel(false);
            }
        } catch (RuntimeException e) {
            log.debug("DestinationRule check failed: {}", rootMessage(e));
        }
    }

    private boolean serves(String groupVersion, String plural) {
        APIResourceList list = client.getApiResources(groupVersion);
        return list != null && list.getResources() != null
                && list.getResources().stream().anyMatch(r -> plural.equals(r.getName()));
    }

    /** Starts {@code informer}, keeping its objects in {@code store} (null: its own cache, objects whole). */
    private <T extends HasMetadata> SharedIndexInformer<T> inform(SharedIndexInformer<T> informer, ProjectedItemStore<T, ?> store,
                                                                  List<SharedIndexInformer<?>> group) {
        String kind = store != null ? store.kind() : informer.getApiTypeClass().getSimpleName();
        if (store != null) {
            informer.itemStore(store);
        }
        // Nothing here looks objects up by namespace: the index would only cost memory.
        informer.removeNamespaceIndex();
        informer.exceptionHandler((isStarted, t) -> {
            lastError = kind + ": " + rootMessage(t);
            log.warn("watching {} failed ({}); retrying", kind, rootMessage(t));
            return !closed;
        });
        informer.addEventHandler(new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                scheduleRebuild();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                scheduleRebuild();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                scheduleRebuild();
            }

            @Override
            public void onNothing() {
                scheduleRebuild();
            }
        });
        group.add(informer);
        informer.start().whenComplete((ok, error) -> {
            if (error == null) {
                log.info("{} synced", kind);
                scheduleRebuild();
            }
        });
        return informer;
    }

    private void scheduleRebuild() {
        if (!closed && rebuildPending.compareAndSet(false, true)) {
            scheduler.schedule(this::rebuild, DEBOUNCE.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void rebuild() {
        rebuildPending.set(false);
        if (!started || !essential.stream().allMatch(SharedIndexInformer::hasSynced)) {
            return;
        }
        try {
            CatalogTranslator.Projections inputs = new CatalogTranslator.Projections(
                    services.projections(),
                    useSlices ? slices.projections() : endpoints.projections(),
                    synced(podInformer) ? pods.projections() : List.of(),
                    synced(nodeInformer) ? nodes.projections() : List.of(),
                    synced(destinationRules) ? destinationRules.getStore().list() : List.of(),
                    useSlices);
            Catalog before = store.current();
            // Marked first, so that whoever sees the new catalog also sees that it came from the API.
            published = true;
            lastPublished = Instant.now();
            lastError = null;
            Catalog next = store.update(current -> {
                Catalog built = translator.assemble(current.generation() + 1, inputs);
                return sameContent(built, current) ? current : built;
            });
            rebuilds.inc();
            if (stateFile != null && next != before) {
                stateFile.save(next);
            }
        } catch (RuntimeException e) {
            lastError = "rebuilding the catalog failed: " + e;
            log.error("rebuilding the catalog failed", e);
        }
    }

    private static boolean synced(SharedIndexInformer<?> informer) {
        return informer != null && informer.hasSynced();
    }

    static boolean sameContent(Catalog a, Catalog b) {
        return a.services().equals(b.services()) && a.endpoints().equals(b.endpoints()) && a.nodes().equals(b.nodes());
    }

    /** Whether a catalog from the API (not only a saved one) has been published. */
    public boolean synced() {
        return published;
    }

    /** Whether every essential informer is watching right now. */
    public boolean watching() {
        return started && !essential.isEmpty() && essential.stream().allMatch(SharedIndexInformer::isWatching);
    }

    /** What is wrong with the API connection, or null. */
    public String problem() {
        if (!published) {
            return lastError != null ? lastError : "waiting for the first list from the API";
        }
        return watching() ? null : "API watch interrupted" + (lastError == null ? "" : ": " + lastError)
                + "; serving the catalog from " + lastPublished;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    @Override
    public void close() {
        closed = true;
        List<SharedIndexInformer<?>> all = new ArrayList<>(essential);
        all.addAll(optional);
        for (SharedIndexInformer<?> informer : all) {
            try {
                informer.stop();
            } catch (RuntimeException e) {
                log.debug("stopping informer: {}", e.toString());
            }
        }
        scheduler.shutdownNow();
    }
}
