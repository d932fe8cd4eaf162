package io.kedge.common.kubeapi.server;

import io.kedge.common.kubeapi.ResourceStore;
import io.kedge.common.kubeapi.ResourceTypes;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kubernetes-compatible API server over any {@link ResourceStore}: enough of the Kubernetes REST API
 * that kubectl (get, apply, patch, delete, get -w) and client libraries (fabric8 informers, client-go
 * reflectors) work against it. HTTP/1.1 on Jetty 12, plain or TLS, optionally with bearer tokens.
 *
 * <pre>{@code
 * KubeApiServer api = KubeApiServer.builder(store, ResourceTypes.builtins())
 *         .listen(new InetSocketAddress("127.0.0.1", 6443))
 *         .metrics(registry)
 *         .start();
 * }</pre>
 */
public final class KubeApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KubeApiServer.class);

    /** What the server was built with. */
    record Settings(ResourceStore store, ResourceTypes types, long maxBodyBytes, long maxWatchSeconds, Duration bookmarkInterval,
                    Set<String> bearerTokens, String gitVersion, Supplier<String> readiness, Clock clock) {
    }

    private final Server server;
    private final ServerConnector connector;
    private final ScheduledExecutorService scheduler;
    private final ApiHandler handler;
    private final boolean tls;

    private KubeApiServer(Builder b) throws Exception {
        Settings settings = new Settings(b.store, b.types, b.maxBodyBytes, b.maxWatchSeconds, b.bookmarkInterval,
                Set.copyOf(b.bearerTokens), b.gitVersion, b.readiness, b.clock);
        QueuedThreadPool threads = new QueuedThreadPool(b.maxThreads, 2);
        threads.setName("kubeapi");
        threads.setDaemon(true);
        server = new Server(threads);
        server.setStopTimeout(1000);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        tls = b.keyStore != null;
        if (tls) {
            SecureRequestCustomizer secure = new SecureRequestCustomizer();
            // Clients reach us by IP on loopback and at the edge; the certificate decides, not SNI.
            secure.setSniHostCheck(false);
            http.addCustomizer(secure);
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStore(b.keyStore);
            ssl.setKeyStorePassword(new String(b.keyStorePassword));
            ssl.setIncludeProtocols("TLSv1.2", "TLSv1.3");
            connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
        } else {
            connector = new ServerConnector(server, new HttpConnectionFactory(http));
        }
        connector.setHost(b.listen.getHostString());
        connector.setPort(b.listen.getPort());
        connector.setIdleTimeout(b.idleTimeout.toMillis());
        server.addConnector(connector);
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kubeapi-timers");
            t.setDaemon(true);
            return t;
        });
        handler = new ApiHandler(settings, scheduler, new ApiMetrics(b.metrics), this::address);
        server.setHandler(handler);
        try {
            server.start();
        } catch (Exception e) {
            scheduler.shutdownNow();
            server.stop();
            throw e;
        }
        log.info("Kubernetes API on {}", url());
    }

    public static Builder builder(ResourceStore store, ResourceTypes types) {
        return new Builder(store, types);
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http(s)://host:port}. */
    public String url() {
        return (tls ? "https://" : "http://") + address();
    }

    private String address() {
        String host = connector.getHost();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
    }

    @Override
    public void close() {
        // No new requests first, so that clients reconnecting from an ended watch find the port
        // closed rather than a server whose store is going away; then end the open watches.
        try {
            connector.stop();
        } catch (Exception e) {
            log.debug("closing the listening socket failed: {}", e.toString());
        }
        handler.finishWatches();
        try {
            server.stop();
        } catch (Exception e) {
            // A graceful stop times out when clients keep connections open; they are closed anyway.
            log.debug("the API server stopped with connections still open: {}", e.toString());
        }
        scheduler.shutdownNow();
    }

    public static final class Builder {
        private final ResourceStore store;
        private final ResourceTypes types;
        private InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 0);
        private KeyStore keyStore;
        private char[] keyStorePassword;
        private Set<String> bearerTokens = Set.of();
        private long maxBodyBytes = 3L * 1024 * 1024;
        private long maxWatchSeconds = 1800;
        private Duration bookmarkInterval = Duration.ofMinutes(1);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private int maxThreads = 64;
        private String gitVersion = "v1.32.0+kedge";
        private Supplier<String> readiness = () -> null;
        private PrometheusRegistry metrics = new PrometheusRegistry();
        private Clock clock = Clock.systemUTC();

        private Builder(ResourceStore store, ResourceTypes types) {
            this.store = store;
            this.types = types;
        }

        /** Address to bind; port 0 picks a free port (default 127.0.0.1:0). */
        public Builder listen(InetSocketAddress address) {
            this.listen = address;
            return this;
        }

        /** Serves HTTPS with the key and certificate chain in {@code keyStore}. */
        public Builder tls(KeyStore keyStore, char[] password) {
            this.keyStore = keyStore;
            this.keyStorePassword = password.clone();
            return this;
        }

        /** Requires {@code Authorization: Bearer <token>} with one of these (health and version stay open). */
        public Builder bearerTokens(Set<String> tokens) {
            this.bearerTokens = Set.copyOf(tokens);
            return this;
        }

        /** Larger request bodies are refused with 413 (default 3 MiB, the Kubernetes limit). */
        public Builder maxBodyBytes(long bytes) {
            this.maxBodyBytes = bytes;
            return this;
        }

        /** The longest a watch lasts (default 1800 s); clients reconnect and resume. */
        public Builder maxWatchSeconds(long seconds) {
            if (seconds < 2) {
                throw new IllegalArgumentException("maxWatchSeconds must be at least 2");
            }
            this.maxWatchSeconds = seconds;
            return this;
        }

        /** How often a watch that allows bookmarks gets one (default 1 minute). */
        public Builder bookmarkInterval(Duration interval) {
            this.bookmarkInterval = interval;
            return this;
        }

        /** How long an idle keep-alive connection is kept (watches extend it for themselves). */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        public Builder maxThreads(int threads) {
            this.maxThreads = threads;
            return this;
        }

        /** The Kubernetes version reported by {@code /version} (clients check for features and skew). */
        public Builder gitVersion(String version) {
            this.gitVersion = version;
            return this;
        }

        /** {@code /readyz} answers 503 with the returned reason when it is not null. */
        public Builder readiness(Supplier<String> problem) {
            this.readiness = problem;
            return this;
        }

        /** Registry for request and watch metrics. */
        public Builder metrics(PrometheusRegistry registry) {
            this.metrics = registry;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public KubeApiServer start() throws Exception {
            return new KubeApiServer(this);
        }
    }
}
