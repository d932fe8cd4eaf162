package io.kedge.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.cloud.reliablesync.ObjectSyncRecords;
import io.kedge.cloud.reliablesync.ReliableSyncCrds;
import io.kedge.cloud.sync.SqliteSyncRecords;
import io.kedge.cloud.sync.SyncRecords;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which store of acknowledged versions cluster mode picks, against fabric8's CRUD mock API. */
class ClusterModuleTest {
    @TempDir
    Path dir;
    KubernetesMockServer server;
    KubernetesClient client;

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    CloudcoreConfig.Cluster config(String syncRecords, Boolean installCrds) {
        return new CloudcoreConfig.Cluster(true, null, "http://127.0.0.1:" + server.getPort(), syncRecords, installCrds, null, null);
    }

    @Test
    void withoutTheCrdsTheRecordsStayInSqlite() throws Exception {
        try (ClusterModule module = new ClusterModule(config(null, null))) {
            module.start();
            try (SyncRecords records = module.syncRecords(dir, new PrometheusRegistry())) {
                assertThat(records).isInstanceOf(SqliteSyncRecords.class);
                assertThat(Files.exists(dir.resolve("sync.db"))).isTrue();
            }
            assertThat(ReliableSyncCrds.served(client)).isFalse();
        }
    }

    @Test
    void installCrdsInstallsThemAndTheRecordsBecomeObjectSyncs() throws Exception {
        try (ClusterModule module = new ClusterModule(config(null, true))) {
            module.start();
            try (SyncRecords records = module.syncRecords(dir, new PrometheusRegistry())) {
                assertThat(records).isInstanceOf(ObjectSyncRecords.class);
            }
            assertThat(ReliableSyncCrds.served(client)).isTrue();
            assertThat(Files.exists(dir.resolve("sync.db"))).isFalse();
        }
    }

    @Test
    void sqliteCanBeChosenEvenWhenTheClusterServesThem() throws Exception {
        ReliableSyncCrds.install(client, java.time.Duration.ofSeconds(30));
        try (ClusterModule module = new ClusterModule(config("sqlite", null))) {
            module.start();
            try (SyncRecords records = module.syncRecords(dir, new PrometheusRegistry())) {
                assertThat(records).isInstanceOf(SqliteSyncRecords.class);
            }
        }
    }

    @Test
    void badClusterKeysAreConfigErrorsNamingTheKeyAndValue() throws Exception {
        Path file = dir.resolve("cloudcore.yaml");
        Files.writeString(file, "modules:\n  standalone: {enable: false}\n  cluster: {enable: true, syncRecords: etcd}\n");
        assertThatThrownBy(() -> CloudcoreConfig.load(file)).hasMessageContaining("modules.cluster.syncRecords").hasMessageContaining("etcd");
        Files.writeString(file, "modules:\n  cluster: {objectSyncGcSeconds: 1}\n");
        assertThatThrownBy(() -> CloudcoreConfig.load(file)).hasMessageContaining("modules.cluster.objectSyncGcSeconds");
        Files.writeString(file, "modules:\n  cluster: {installCrds: maybe}\n");
        assertThatThrownBy(() -> CloudcoreConfig.load(file)).hasMessageContaining("modules.cluster.installCrds");
    }
}
