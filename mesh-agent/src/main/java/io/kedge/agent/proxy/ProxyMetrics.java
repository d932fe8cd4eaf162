package io.kedge.agent.proxy;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The proxy's Prometheus metrics. Every series carries {@code service} ({@code namespace/name}),
 * {@code port} (the Service port number) and {@code protocol} ({@code tcp}, {@code udp} or
 * {@code http}); a Service port's series are removed with its listener.
 *
 * <p>No exemplars: nothing here is traced, and an exemplar sampler per series (a dozen series per
 * Service port) cost about 1 MiB of heap with 1,000 Services.
 */
public final class ProxyMetrics {
    static final String[] LABELS = {"service", "port", "protocol"};

    final Counter connections;
    final Gauge activeConnections;
    final Counter requests;
    /** The ports whose series exist (their in-progress request counts are read at scrape time). */
    private final Set<PortMetrics> ports = ConcurrentHashMap.newKeySet();
    final Counter bytes;
    final Counter connectFailures;
    final Counter retries;
    final Counter noEndpoint;
    final Counter sessions;
    final Gauge activeSessions;
    final Counter droppedDatagrams;
    final Gauge listeners;

    public ProxyMetrics(PrometheusRegistry registry) {
        connections = Counter.builder().name("kedge_agent_proxy_connections_total")
                .help("Client connections accepted").labelNames(LABELS).withoutExemplars().register(registry);
        activeConnections = Gauge.builder().name("kedge_agent_proxy_connections_active")
                .help("Client connections open").labelNames(LABELS).withoutExemplars().register(registry);
        requests = Counter.builder().name("kedge_agent_proxy_requests_total")
                .help("HTTP requests received (HTTP ports)").labelNames(LABELS).withoutExemplars().register(registry);
        // Read from each port's adder when scraped: a Gauge's inc() and dec() allocate (a capturing
        // lambda each), and they run twice per proxied request.
        GaugeWithCallback.builder().name("kedge_agent_proxy_requests_active")
                .help("HTTP requests in progress (HTTP ports)").labelNames(LABELS)
                .callback(cb -> activeRequestsByLabels().forEach((labels, n) -> cb.call(n, labels.toArray(String[]::new))))
                .register(registry);
        bytes = Counter.builder().name("kedge_agent_proxy_bytes_total")
                .help("Payload bytes forwarded, by direction (upstream: client to endpoint; downstream: endpoint to client)")
                .labelNames("service", "port", "protocol", "direction").withoutExemplars().register(registry);
        connectFailures = Counter.builder().name("kedge_agent_proxy_upstream_connect_failures_total")
                .help("Failed attempts to open a connection or stream to an endpoint").labelNames(LABELS).withoutExemplars().register(registry);
        retries = Counter.builder().name("kedge_agent_proxy_retries_total")
                .help("Connections or requests retried on another (or the same) endpoint").labelNames(LABELS).withoutExemplars().register(registry);
        noEndpoint = Counter.builder().name("kedge_agent_proxy_no_endpoint_total")
                .help("Connections, sessions or requests refused because the Service had no usable endpoint")
                .labelNames(LABELS).withoutExemplars().register(registry);
        sessions = Counter.builder().name("kedge_agent_proxy_udp_sessions_total")
                .help("UDP sessions created").labelNames(LABELS).withoutExemplars().register(registry);
        activeSessions = Gauge.builder().name("kedge_agent_proxy_udp_sessions_active")
                .help("UDP sessions alive").labelNames(LABELS).withoutExemplars().register(registry);
        droppedDatagrams = Counter.builder().name("kedge_agent_proxy_udp_dropped_datagrams_total")
                .help("Datagrams dropped (session limit reached, queue full while connecting, or no endpoint)")
                .labelNames(LABELS).withoutExemplars().register(registry);
        listeners = Gauge.builder().name("kedge_agent_proxy_listeners")
                .help("Service-port listeners running").withoutExemplars().register(registry);
    }

    /** The data points of one Service port. */
    public PortMetrics port(String service, int port, String protocol) {
        PortMetrics p = new PortMetrics(this, service, String.valueOf(port), protocol);
        ports.add(p);
        return p;
    }

    void removed(PortMetrics p) {
        ports.remove(p);
    }

    /** In-progress requests per label set (summed: a listener's successor may exist before it is removed). */
    Map<List<String>, Long> activeRequestsByLabels() {
        Map<List<String>, Long> sums = new HashMap<>();
        ports.forEach(p -> sums.merge(Arrays.asList(p.labels), p.activeRequests.sum(), Long::sum));
        return sums;
    }
}
