package io.kedge.common.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint every long-running program exposes:
 * <ul>
 *   <li>{@code /healthz}: 200 while the process is alive (liveness);</li>
 *   <li>{@code /readyz}: 200 when every registered {@link HealthCheck} passes, else 503 with reasons;</li>
 *   <li>{@code /metrics}: Prometheus text format from the program's registry, JVM metrics included;</li>
 *   <li>JSON endpoints the program adds with {@link #json} (what {@code meshctl} reads).</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .findAndRegisterModules()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusRegistry registry;
    private final Map<String, HealthCheck> checks = new ConcurrentHashMap<>();

    /**
     * The JVM's metrics (JvmMetrics' set) but native memory: that one asks the platform MBean server
     * for NMT's summary, and creating that server registers every platform MBean and loads JMX (about 300
     * classes, a few MiB that an edge agent cannot spare) for figures that exist only when the JVM runs
     * with -XX:NativeMemoryTracking, which these programs do not.
     */
    static void registerJvmMetrics(PrometheusRegistry registry) {
        io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics.builder().register(registry);
        io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics.builder().register(registry);
        io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics.builder().register(registry);
        io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics.builder().register(registry);
        io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics.builder().register(registry);
        io.prometheus.metrics.instrumentation.jvm.JvmMemoryPoolAllocationMetrics.builder().register(registry);
        io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics.builder().register(registry);
        io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric.builder().register(registry);
        io.prometheus.metrics.instrumentation.jvm.ProcessMetrics.builder().register(registry);
    }

    /** Starts serving on {@code bind} (port 0 picks a free port). */
    public AdminServer(InetSocketAddress bind, PrometheusRegistry registry) throws IOException {
        this.registry = registry;
        registerJvmMetrics(registry);
        this.server = HttpServer.create(bind, 64);
        // Two threads: admin traffic is light, and a slow scrape must not block /healthz.
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "admin-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/healthz", ex -> respond(ex, 200, "text/plain; charset=utf-8", "ok\n"));
        server.createContext("/readyz", this::ready);
        server.createContext("/metrics", this::metrics);
        server.start();
        log.info("admin endpoint on http://{}:{}", bind.getHostString(), port());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** Adds a readiness condition under {@code name}. */
    public void check(String name, HealthCheck check) {
        checks.put(name, check);
    }

    /** Serves the value {@code body} returns, as JSON, at {@code path} (GET only). */
    public void json(String path, Supplier<Object> body) {
        server.createContext(path, ex -> {
            if (!"GET".equals(ex.getRequestMethod())) {
                respond(ex, 405, "text/plain; charset=utf-8", "only GET\n");
                return;
            }
            byte[] bytes;
            try {
                bytes = JSON.writeValueAsBytes(body.get());
            } catch (RuntimeException e) {
                log.warn("{} failed: {}", path, e.toString());
                respond(ex, 500, "text/plain; charset=utf-8", "error: " + e.getMessage() + "\n");
                return;
            }
            respond(ex, 200, "application/json", bytes);
        });
    }

    /** Adds a raw handler (for endpoints that are not JSON snapshots). */
    public void handler(String path, HttpHandler handler) {
        server.createContext(path, handler);
    }

    private void ready(HttpExchange ex) throws IOException {
        Map<String, String> problems = new LinkedHashMap<>();
        checks.forEach((name, check) -> {
            String problem;
            try {
                problem = check.problem();
            } catch (RuntimeException e) {
                problem = "check failed: " + e;
            }
            if (problem != null) {
                problems.put(name, problem);
            }
        });
        if (problems.isEmpty()) {
            respond(ex, 200, "text/plain; charset=utf-8", "ready\n");
        } else {
            StringBuilder sb = new StringBuilder("not ready\n");
            problems.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
            respond(ex, 503, "text/plain; charset=utf-8", sb.toString());
        }
    }

    private void metrics(HttpExchange ex) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        writer.write(out, registry.scrape());
        respond(ex, 200, writer.getContentType(), out.toByteArray());
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        respond(ex, status, type, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        try (ex) {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
