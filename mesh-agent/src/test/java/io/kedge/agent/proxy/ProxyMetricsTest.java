package io.kedge.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyMetricsTest {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ProxyMetrics metrics = new ProxyMetrics(registry);

    /** kedge_agent_proxy_requests_active as scraped: "service port protocol" -> value. */
    private Map<String, Double> activeRequests() {
        Map<String, Double> out = new HashMap<>();
        for (MetricSnapshot m : registry.scrape()) {
            if (m instanceof GaugeSnapshot g && g.getMetadata().getName().equals("kedge_agent_proxy_requests_active")) {
                for (GaugeSnapshot.GaugeDataPointSnapshot d : g.getDataPoints()) {
                    out.put(d.getLabels().get("service") + " " + d.getLabels().get("port") + " " + d.getLabels().get("protocol"),
                            d.getValue());
                }
            }
        }
        return out;
    }

    @Test
    void requestsInProgressAreScrapedPerPortAndGoWithTheirPort() {
        PortMetrics web = metrics.port("default/web", 80, "http");
        PortMetrics api = metrics.port("default/api", 8080, "http");
        web.activeRequests.increment();
        web.activeRequests.increment();
        api.activeRequests.increment();
        api.activeRequests.decrement();
        assertThat(activeRequests()).containsOnly(Map.entry("default/web 80 http", 2.0), Map.entry("default/api 8080 http", 0.0));

        // A listener's successor for the same port, before the old one is removed: one series, summed.
        PortMetrics successor = metrics.port("default/web", 80, "http");
        successor.activeRequests.increment();
        assertThat(activeRequests()).containsEntry("default/web 80 http", 3.0);
        web.remove();
        assertThat(activeRequests()).containsOnly(Map.entry("default/web 80 http", 1.0), Map.entry("default/api 8080 http", 0.0));
        successor.remove();
        api.remove();
        assertThat(activeRequests()).isEmpty();
    }
}
