package io.kedge.cloud.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.kedge.cloud.reliablesync.ObjectSyncRecords;
import io.kedge.cloud.reliablesync.ReliableSyncCrds;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.store.MemoryResourceStore;
import io.kedge.common.kubeedge.Message;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sync controller with its records in ObjectSyncs (fabric8's CRUD mock API): after a restart of
 * the controller and a new store instance, only what changed meanwhile is sent.
 */
class ObjectSyncDeliveryTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    KubernetesMockServer server;
    KubernetesClient client;

    @BeforeEach
    void start() throws Exception {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + server.getPort())
                .withRequestRetryBackoffLimit(0).build()).build();
        ReliableSyncCrds.install(client, WAIT);
        // the node exists in the cluster, or the collection at start would remove its records
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("e1").endMetadata().build()).create();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    ObjectSyncRecords records() {
        ObjectSyncRecords r = new ObjectSyncRecords(client, ObjectSyncRecords.Settings.DEFAULT, new PrometheusRegistry());
        r.start();
        return r;
    }

    @Test
    void afterARestartOnlyWhatChangedMeanwhileIsSentAndTheRecordsFollow() throws Exception {
        MemoryResourceStore store = MemoryResourceStore.inMemory();
        store.create(BuiltinTypes.SERVICES, SyncControllerTest.service("a"), WriteOptions.DEFAULT);
        String bUid = KubeObjects.uid(store.create(BuiltinTypes.SERVICES, SyncControllerTest.service("b"), WriteOptions.DEFAULT));
        SyncControllerTest.FakeEdge edge = new SyncControllerTest.FakeEdge();
        int namespaces;
        try (ObjectSyncRecords records = records(); SyncController c = SyncControllerTest.controller(store, records)) {
            edge.controller = c;
            c.attach("e1", edge);
            await().atMost(WAIT).until(() -> edge.state.containsKey("default/service/a") && edge.state.containsKey("default/service/b"));
            namespaces = (int) edge.state.keySet().stream().filter(k -> k.startsWith("null/namespace/")).count();
            await().atMost(WAIT).until(() -> records.pendingCount() == 0 && records.forNode("e1").size() == edge.state.size());
            c.detach("e1", edge);
        }
        assertThat(namespaces).isPositive();
        assertThat(client.genericKubernetesResources(ReliableSyncCrds.CLUSTER_OBJECT_SYNC).list().getItems()).hasSize(namespaces);
        assertThat(client.genericKubernetesResources(ReliableSyncCrds.OBJECT_SYNC).inNamespace("default").withName("e1." + bUid).get())
                .isNotNull();

        // while e1 is away (and cloudcore-lite restarts): b goes, c comes
        store.delete(BuiltinTypes.SERVICES, "default", "b", Preconditions.NONE, WriteOptions.DEFAULT);
        store.create(BuiltinTypes.SERVICES, SyncControllerTest.service("c"), WriteOptions.DEFAULT);
        int before = edge.received.size();
        try (ObjectSyncRecords records = records(); SyncController c = SyncControllerTest.controller(store, records)) {
            edge.controller = c;
            c.attach("e1", edge);
            await().atMost(WAIT).until(() -> !edge.state.containsKey("default/service/b") && edge.state.containsKey("default/service/c"));
            Thread.sleep(1000); // several reconcile periods
            // the versions came from the ObjectSyncs: a and the namespaces were not sent again
            List<Message> after = edge.received.subList(before, edge.received.size());
            assertThat(after).extracting(Message::resource).containsExactlyInAnyOrder("default/service/b", "default/service/c");
            await().atMost(WAIT).until(() -> records.pendingCount() == 0);
            assertThat(client.genericKubernetesResources(ReliableSyncCrds.OBJECT_SYNC).inNamespace("default").withName("e1." + bUid)
                    .get()).isNull();
            assertThat(records.forNode("e1").values()).extracting(SyncRecords.Acked::name).contains("a", "c").doesNotContain("b");
        }
    }
}
