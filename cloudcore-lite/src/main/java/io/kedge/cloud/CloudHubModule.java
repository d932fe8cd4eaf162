package io.kedge.cloud;

import io.kedge.cloud.bootstrap.BootstrapServer;
import io.kedge.cloud.bootstrap.JoinTokens;
import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.cloud.hub.CloudHub;
import io.kedge.cloud.node.NodeLifecycle;
import io.kedge.cloud.pki.CertificateAuthority;
import io.kedge.cloud.sync.SyncController;
import io.kedge.cloud.sync.SyncRecords;
import io.kedge.common.config.ConfigException;
import io.kedge.common.kubeapi.ResourceStore;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The cloud-edge channel: the CA and join tokens, the bootstrap endpoint, reliable sync of the store
 * to edge nodes, node lifecycle and CloudHub. Needs the store of an earlier module.
 */
public final class CloudHubModule implements CloudModule {
    private static final String KEY = "modules.cloudHub";
    public static final String PKI_DIR = "pki";

    private final CloudcoreConfig.CloudHub config;
    private final CloudcoreConfig.SyncController syncConfig;
    private final Path dataDir;
    private final Supplier<ResourceStore> store;
    private final RecordsFactory recordsFactory;
    private final PrometheusRegistry metrics;
    private final List<AutoCloseable> started = new ArrayList<>();
    private JoinTokens tokens;
    private SyncController sync;
    private SyncRecords records;
    private CloudHub hub;
    private BootstrapServer bootstrap;

    /** Opens the store of acknowledged versions (SQLite, or the cluster's ObjectSyncs in cluster mode). */
    public interface RecordsFactory {
        SyncRecords open() throws Exception;
    }

    public CloudHubModule(CloudcoreConfig.CloudHub config, CloudcoreConfig.SyncController syncConfig, Path dataDir,
                          Supplier<ResourceStore> store, RecordsFactory recordsFactory, PrometheusRegistry metrics) {
        this.recordsFactory = recordsFactory;
        this.config = config;
        this.syncConfig = syncConfig;
        this.dataDir = dataDir;
        this.store = store;
        this.metrics = metrics;
    }

    @Override
    public String name() {
        return "cloudHub";
    }

    /** The CA of a data directory (created on first use), as {@code gettoken} and the module share it. */
    public static CertificateAuthority authority(Path dataDir) {
        return CertificateAuthority.loadOrCreate(dataDir.resolve(PKI_DIR), Duration.ofDays(3650));
    }

    @Override
    public void start() throws Exception {
        Clock clock = Clock.systemUTC();
        CertificateAuthority ca = authority(dataDir);
        tokens = new JoinTokens(dataDir.resolve(PKI_DIR), ca.certificateDer(), Duration.ofHours(config.tokenValidityHours()),
                Duration.ofHours(config.tokenRefreshHours()), clock, metrics);
        tokens.start();
        started.add(tokens);

        List<String> sans = new ArrayList<>(config.advertiseAddress());
        for (String local : List.of("127.0.0.1", "localhost")) {
            if (!sans.contains(local)) {
                sans.add(local);
            }
        }
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        char[] password = Base64.getEncoder().encodeToString(random).toCharArray();
        // Issued fresh at every start: a changed advertiseAddress takes effect on restart.
        KeyStore serverKeys = ca.serverKeyStore(sans, Duration.ofDays(365), password);

        try {
            bootstrap = new BootstrapServer(StandaloneModule.hostPort(config.httpsListen()), serverKeys, password, ca, tokens,
                    Duration.ofDays(config.edgeCertificateDays()), metrics);
        } catch (IOException e) {
            throw new ConfigException(KEY + ".httpsListen", config.httpsListen(), "cannot listen: " + e.getMessage());
        }
        started.add(bootstrap);

        records = recordsFactory.open();
        started.add(records);
        GaugeWithCallback.builder().name("kedge_sync_records").help("Acknowledged (node, object) versions stored")
                .callback(cb -> cb.call(records.count())).register(metrics);
        sync = new SyncController(store.get(), records, new SyncController.Settings(syncConfig.window(), syncConfig.retries(),
                Duration.ofSeconds(syncConfig.ackTimeoutSeconds()), Duration.ofSeconds(syncConfig.backoffSeconds()),
                Duration.ofSeconds(syncConfig.reconcileSeconds()), syncConfig.nodeObjects().equals("all"),
                syncConfig.maxInFlight()), clock, metrics);
        sync.start();
        started.add(sync);
        NodeLifecycle lifecycle = new NodeLifecycle(store.get(), Duration.ofSeconds(config.nodeGraceSeconds()), Duration.ofMinutes(5),
                clock, metrics);
        lifecycle.start();
        started.add(lifecycle);
        try {
            hub = new CloudHub(new CloudHub.Settings(StandaloneModule.hostPort(config.listen()), config.maxSessions(),
                    Duration.ofSeconds(config.keepaliveTimeoutSeconds()), config.maxMessageBytes()), serverKeys, password, ca, sync,
                    lifecycle, clock, metrics);
        } catch (IOException e) {
            throw new ConfigException(KEY + ".listen", config.listen(), "cannot listen: " + e.getMessage());
        }
        started.add(hub);
    }

    public JoinTokens tokens() {
        return tokens;
    }

    public CloudHub hub() {
        return hub;
    }

    public BootstrapServer bootstrap() {
        return bootstrap;
    }

    @Override
    public String problem() {
        if (tokens == null || sync == null) {
            return "not started";
        }
        String p = tokens.problem();
        return p != null ? p : sync.problem();
    }

    @Override
    public Object status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("cloudHubPort", hub == null ? null : hub.port());
        s.put("bootstrapPort", bootstrap == null ? null : bootstrap.port());
        s.put("sessions", hub == null ? 0 : hub.sessionCount());
        s.put("syncRecords", records == null ? 0 : records.count());
        return s;
    }

    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception ignored) {
                // keep stopping the rest
            }
        }
        started.clear();
    }
}
