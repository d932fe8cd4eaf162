package io.kedge.cloud;

import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.cloud.sync.SqliteSyncRecords;
import io.kedge.common.admin.AdminServer;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.config.ConfigException;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.kedge.common.lifecycle.StopOrder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloudcore-lite process: the admin endpoint, then every enabled module in order (standalone store
 * and API, endpoints controller), stopped in reverse. A module that fails to start stops what started
 * before it.
 */
public final class Cloudcore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cloudcore.class);

    private final CloudcoreConfig config;
    private final PrometheusRegistry metrics = new PrometheusRegistry();
    private final List<CloudModule> modules = new ArrayList<>();
    private final StopOrder stopOrder = new StopOrder();
    private final Instant startedAt = Instant.now();
    private StandaloneModule standalone;
    private CloudHubModule cloudHub;
    private ClusterModule cluster;
    private AdminServer admin;
    private boolean closed;

    public Cloudcore(CloudcoreConfig config) {
        this.config = config;
        CloudcoreConfig.Modules m = config.modules();
        if (m.cluster().enable()) {
            if (m.standalone().enable()) {
                throw new ConfigException("modules.standalone.enable", true,
                        "must be false with modules.cluster.enable: edges follow one source of truth");
            }
            cluster = new ClusterModule(m.cluster());
            modules.add(cluster);
        }
        if (m.standalone().enable()) {
            standalone = new StandaloneModule(m.standalone(), Path.of(config.dataDir()), metrics);
            modules.add(standalone);
        }
        if (m.endpointsController().enable() && cluster == null) { // a real cluster runs its own
            if (standalone == null) {
                throw new ConfigException("modules.endpointsController.enable", true,
                        "needs a store: enable modules.standalone (watching a real cluster is not built yet)");
            }
            modules.add(new EndpointsModule(standalone::store, Duration.ofSeconds(m.endpointsController().resyncSeconds()), metrics));
        }
        if (m.cloudHub().enable()) {
            if (standalone == null && cluster == null) {
                throw new ConfigException("modules.cloudHub.enable", true, "needs a source: enable modules.standalone or modules.cluster");
            }
            ClusterModule source = cluster;
            StandaloneModule store = standalone;
            Path dataDir = Path.of(config.dataDir());
            cloudHub = new CloudHubModule(m.cloudHub(), m.syncController(), dataDir,
                    () -> source != null ? source.store() : store.store(),
                    () -> source != null ? source.syncRecords(dataDir, metrics) : new SqliteSyncRecords(dataDir), metrics);
            modules.add(cloudHub);
        }
        if (modules.isEmpty()) {
            throw new ConfigException("modules", null, "no module is enabled");
        }
    }

    public void start() throws Exception {
        try {
            admin = new AdminServer(StandaloneModule.hostPort(config.admin().listen()), metrics);
        } catch (IOException e) {
            throw new ConfigException("admin.listen", config.admin().listen(), "cannot listen: " + e.getMessage());
        }
        stopOrder.push(admin);
        try {
            for (CloudModule module : modules) {
                module.start();
                stopOrder.push(module);
                admin.check(module.name(), module::problem);
                log.info("module {} started", module.name());
            }
        } catch (Exception e) {
            close();
            throw e;
        }
        admin.json("/debug/status", this::status);
    }

    /** The standalone module, when enabled. */
    public StandaloneModule standalone() {
        return standalone;
    }

    /** The cloud-edge channel, when enabled. */
    public CloudHubModule cloudHub() {
        return cloudHub;
    }

    public AdminServer admin() {
        return admin;
    }

    public PrometheusRegistry metrics() {
        return metrics;
    }

    Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("version", VersionProvider.version());
        s.put("startedAt", startedAt.toString());
        s.put("dataDir", config.dataDir());
        Map<String, Object> m = new LinkedHashMap<>();
        for (CloudModule module : modules) {
            m.put(module.name(), module.status());
        }
        s.put("modules", m);
        return s;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopOrder.stopAll();
        log.info("cloudcore-lite stopped");
    }
}
