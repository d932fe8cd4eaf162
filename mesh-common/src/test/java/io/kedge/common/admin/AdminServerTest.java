package io.kedge.common.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminServerTest {
    private AdminServer admin;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        admin = new AdminServer(new InetSocketAddress("127.0.0.1", 0), new PrometheusRegistry());
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void livenessReadinessAndMetrics() throws Exception {
        AtomicReference<String> apiProblem = new AtomicReference<>("API unreachable");
        admin.check("api", apiProblem::get);
        Counter requests = Counter.builder().name("kedge_test_requests_total").help("test").labelNames("kind").register(admin.registry());
        requests.labelValues("dns").inc(3);

        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        HttpResponse<String> notReady = get("/readyz");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("api: API unreachable");
        apiProblem.set(null);
        assertThat(get("/readyz").statusCode()).isEqualTo(200);

        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("kedge_test_requests_total{kind=\"dns\"} 3.0").contains("jvm_memory_used_bytes")
                .contains("jvm_threads_current").contains("jvm_classes_currently_loaded").contains("jvm_gc_collection_seconds")
                .contains("process_cpu_seconds_total").contains("jvm_runtime_info")
                // Not native memory: it needs the platform MBean server (JMX) and NMT, which the programs run without.
                .doesNotContain("jvm_native_memory");
    }

    @Test
    void jsonEndpoints() throws Exception {
        admin.json("/debug/state", () -> Map.of("services", 2));
        HttpResponse<String> r = get("/debug/state");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.body()).contains("\"services\" : 2");
        admin.json("/debug/broken", () -> {
            throw new IllegalStateException("boom");
        });
        assertThat(get("/debug/broken").statusCode()).isEqualTo(500);
    }
}
