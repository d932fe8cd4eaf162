package io.kedge.common.kubeapi.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** Request and watch counts of a {@link KubeApiServer}, in the Prometheus registry it was given. */
final class ApiMetrics {
    private final Counter requests;
    private final Gauge watches;

    ApiMetrics(PrometheusRegistry registry) {
        requests = Counter.builder().name("kedge_apiserver_requests_total")
                .help("Kubernetes API requests by verb (get, list, watch, create, update, patch, delete, deletecollection, "
                        + "discovery, ...), resource and HTTP code")
                .labelNames("verb", "resource", "code").register(registry);
        watches = Gauge.builder().name("kedge_apiserver_watches")
                .help("Watch streams currently open, by resource").labelNames("resource").register(registry);
    }

    void request(String verb, String resource, int code) {
        requests.labelValues(verb, resource, Integer.toString(code)).inc();
    }

    void watchOpened(String resource) {
        watches.labelValues(resource).inc();
    }

    void watchClosed(String resource) {
        watches.labelValues(resource).dec();
    }
}
