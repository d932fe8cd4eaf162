package io.kedge.cloud;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.cloud.reliablesync.ObjectSyncRecords;
import io.kedge.cloud.reliablesync.ReliableSyncCrds;
import io.kedge.cloud.source.ClusterSource;
import io.kedge.cloud.sync.SqliteSyncRecords;
import io.kedge.cloud.sync.SyncRecords;
import io.kedge.common.config.ConfigException;
import io.kedge.common.kubeapi.ResourceStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode: a real Kubernetes API (kubeconfig, or a master URL) as the source of what edges receive,
 * and (when it serves KubeEdge's ObjectSync CRDs) the keeper of what they acknowledged.
 */
public final class ClusterModule implements CloudModule {
    private static final Logger log = LoggerFactory.getLogger(ClusterModule.class);

    private final CloudcoreConfig.Cluster config;
    private ClusterSource source;
    private KubernetesClient recordsClient;
    private String server;
    private String recordStore;

    public ClusterModule(CloudcoreConfig.Cluster config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "cluster";
    }

    @Override
    public void start() throws Exception {
        Config c;
        if (config.kubeconfig() != null) {
            Path file = Path.of(config.kubeconfig());
            if (!Files.isReadable(file)) {
                throw new ConfigException("modules.cluster.kubeconfig", config.kubeconfig(), "file does not exist or is not readable");
            }
            c = Config.fromKubeconfig(Files.readString(file));
        } else if (config.master() != null) {
            c = new ConfigBuilder(Config.empty()).withMasterUrl(config.master()).build();
        } else {
            c = Config.autoConfigure(null);
        }
        server = c.getMasterUrl();
        KubernetesClient client = new KubernetesClientBuilder().withConfig(c).build();
        source = new ClusterSource(client);
        // The records' own client fails fast (one retry): the store retries itself, and a read on a
        // node's connect must not hold the sync thread through fabric8's long retry backoff.
        recordsClient = new KubernetesClientBuilder().withConfig(new ConfigBuilder(c).withRequestRetryBackoffLimit(1)
                .withRequestTimeout(10_000).build()).build();
    }

    /**
     * Where the sync controller keeps acknowledged versions: the cluster's ObjectSync resources when it
     * serves them (after installing the CRDs if configured to), else SQLite in {@code dataDir}.
     */
    public SyncRecords syncRecords(Path dataDir, PrometheusRegistry metrics) throws InterruptedException {
        if (config.syncRecords().equals("sqlite")) {
            recordStore = "sqlite";
            return new SqliteSyncRecords(dataDir);
        }
        boolean served = servedWithRetries();
        if (!served && config.installCrds()) {
            log.info("installing the CRDs of {} (modules.cluster.installCrds)", ReliableSyncCrds.API_VERSION);
            ReliableSyncCrds.install(recordsClient, Duration.ofSeconds(60));
            served = true;
        }
        if (!served) {
            recordStore = "sqlite";
            log.warn("the cluster does not serve objectsyncs/clusterobjectsyncs.{}: acknowledged versions are kept in {} instead "
                    + "(install the CRDs, or start with --install-crds)", ReliableSyncCrds.API_VERSION, dataDir.resolve("sync.db"));
            return new SqliteSyncRecords(dataDir);
        }
        recordStore = "objectSync";
        ObjectSyncRecords records = new ObjectSyncRecords(recordsClient, new ObjectSyncRecords.Settings(config.objectSyncMaxPending(),
                Duration.ofSeconds(config.objectSyncGcSeconds()), Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(5),
                ObjectSyncRecords.Settings.DEFAULT.writers()), metrics);
        records.start();
        return records;
    }

    /** Discovery of the reliable-sync resources; an unreachable API is tried for a while, then start fails. */
    private boolean servedWithRetries() throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return ReliableSyncCrds.served(recordsClient);
            } catch (KubernetesClientException e) {
                if (attempt == 5) {
                    throw new IllegalStateException("cannot discover " + ReliableSyncCrds.API_VERSION + " at " + server + ": "
                            + e.getMessage(), e);
                }
                log.warn("discovering {} failed ({}); trying again", ReliableSyncCrds.API_VERSION, e.getMessage());
                Thread.sleep(2000L * attempt);
            }
        }
    }

    /** The cluster, behind the store calls the other modules use. */
    public ResourceStore store() {
        return source;
    }

    @Override
    public Object status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("server", String.valueOf(server));
        s.put("syncRecords", recordStore);
        return s;
    }

    @Override
    public void close() {
        if (source != null) {
            source.close();
        }
        if (recordsClient != null) {
            recordsClient.close();
        }
    }
}
