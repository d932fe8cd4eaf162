package io.kedge.cloud;

import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.cloud.store.StandaloneStore;
import io.kedge.cloud.tls.PemKeyStore;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.config.ConfigException;
import io.kedge.common.kubeapi.ResourceTypes;
import io.kedge.common.kubeapi.server.KubeApiServer;
import io.kedge.common.kubeapi.store.MemoryResourceStore;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Standalone mode: the embedded SQLite-backed store and the Kubernetes-compatible API over it, for
 * kubectl, fabric8/client-go clients and mesh agents. Plain HTTP on loopback by default; TLS and
 * bearer tokens when configured.
 */
public final class StandaloneModule implements CloudModule {
    private static final String KEY = "modules.standalone";

    private final CloudcoreConfig.Standalone config;
    private final Path dataDir;
    private final PrometheusRegistry metrics;
    private MemoryResourceStore store;
    private KubeApiServer api;

    public StandaloneModule(CloudcoreConfig.Standalone config, Path dataDir, PrometheusRegistry metrics) {
        this.config = config;
        this.dataDir = dataDir;
        this.metrics = metrics;
    }

    @Override
    public String name() {
        return "standalone";
    }

    @Override
    public void start() throws Exception {
        KubeApiServer.Builder builder;
        try {
            store = StandaloneStore.open(new StandaloneStore.Settings(dataDir, config.eventWindow(), config.autoCreateNamespaces(),
                    config.serviceClusterIPRange(), Duration.ofSeconds(2)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(KEY + ".serviceClusterIPRange", config.serviceClusterIPRange(), e.getMessage());
        }
        GaugeWithCallback.builder().name("kedge_store_objects").help("Objects in the standalone store, by resource")
                .labelNames("resource").callback(cb -> store.counts().forEach((gr, n) -> cb.call(n, gr.toString())))
                .register(metrics);
        GaugeWithCallback.builder().name("kedge_store_watches").help("Watches open on the store (API clients and in-process controllers)")
                .callback(cb -> cb.call(store.watchCount())).register(metrics);
        GaugeWithCallback.builder().name("kedge_store_resource_version").help("The store's newest resourceVersion")
                .callback(cb -> cb.call(store.resourceVersion())).register(metrics);
        builder = KubeApiServer.builder(store, ResourceTypes.builtins())
                .listen(hostPort(config.listen()))
                .maxBodyBytes(config.maxBodyBytes())
                .maxWatchSeconds(config.maxWatchSeconds())
                .gitVersion("v1.32.0+kedge-" + VersionProvider.version())
                .metrics(metrics);
        if (config.tls() != null) {
            PemKeyStore.Loaded keys = PemKeyStore.load(Path.of(config.tls().certFile()), Path.of(config.tls().keyFile()),
                    KEY + ".tls.certFile", KEY + ".tls.keyFile");
            builder.tls(keys.keyStore(), keys.password());
        }
        if (config.tokenFile() != null) {
            builder.bearerTokens(tokens(Path.of(config.tokenFile())));
        }
        try {
            api = builder.start();
        } catch (IOException e) {
            throw new ConfigException(KEY + ".listen", config.listen(), "cannot listen: " + e.getMessage());
        }
    }

    /** Tokens, one per line, or the first field of Kubernetes' token CSV ({@code token,user,uid,"groups"}). */
    static Set<String> tokens(Path file) {
        Set<String> tokens = new LinkedHashSet<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String trimmed = line.trim();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                String token = trimmed.split(",", 2)[0].trim();
                if (token.length() < 8) {
                    throw new ConfigException(KEY + ".tokenFile", file, "tokens must have at least 8 characters");
                }
                tokens.add(token);
            }
        } catch (NoSuchFileException e) {
            throw new ConfigException(KEY + ".tokenFile", file, "file does not exist");
        } catch (IOException e) {
            throw new ConfigException(KEY + ".tokenFile", file, "cannot read: " + e.getMessage());
        }
        if (tokens.isEmpty()) {
            throw new ConfigException(KEY + ".tokenFile", file, "holds no token");
        }
        return tokens;
    }

    static InetSocketAddress hostPort(String text) {
        int colon = text.lastIndexOf(':');
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host, Integer.parseInt(text.substring(colon + 1)));
    }

    /** The store, once started (what other modules build on). */
    public MemoryResourceStore store() {
        return store;
    }

    public KubeApiServer api() {
        return api;
    }

    @Override
    public Object status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("url", api == null ? null : api.url());
        s.put("resourceVersion", store == null ? null : store.resourceVersion());
        s.put("watches", store == null ? 0 : store.watchCount());
        Map<String, Integer> objects = new LinkedHashMap<>();
        if (store != null) {
            store.counts().forEach((gr, n) -> objects.put(gr.toString(), n));
        }
        s.put("objects", objects);
        return s;
    }

    @Override
    public void close() {
        if (api != null) {
            api.close();
        }
        if (store != null) {
            store.close();
        }
    }
}
