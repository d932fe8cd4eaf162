package io.kedge.cloud.reliablesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.kedge.cloud.sync.SyncRecords.Acked;
import io.kedge.cloud.sync.SyncRecords.Change;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ObjectSync store against fabric8's mock API server in CRUD mode, with the shipped CRDs installed in it. */
class ObjectSyncRecordsTest {
    /** The CRUD mock that answers 503 to everything while {@code failing}. */
    static final class FlakyCrudDispatcher extends KubernetesCrudDispatcher {
        volatile boolean failing;

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            if (failing) {
                return new MockResponse().setResponseCode(503).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                        + "\"code\":503,\"reason\":\"ServiceUnavailable\",\"message\":\"the test says the API is down\"}");
            }
            return super.dispatch(request);
        }
    }

    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectSyncRecords.Settings FAST = new ObjectSyncRecords.Settings(1000, Duration.ofHours(1), Duration.ofMillis(50),
            Duration.ofMillis(200), Duration.ofSeconds(5), 4);

    FlakyCrudDispatcher dispatcher;
    KubernetesMockServer server;
    KubernetesClient client;
    ObjectSyncRecords records;

    @BeforeEach
    void start() throws Exception {
        dispatcher = new FlakyCrudDispatcher();
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = client(server);
        // the nodes exist in the cluster, or the collection at start would remove their records
        for (String node : List.of("e1", "e2")) {
            client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node).endMetadata().build()).create();
        }
    }

    static KubernetesClient client(KubernetesMockServer server) {
        return new KubernetesClientBuilder().withConfig(new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + server.getPort())
                .withRequestRetryBackoffLimit(0).build()).build();
    }

    @AfterEach
    void stop() {
        if (records != null) {
            records.close();
        }
        client.close();
        server.destroy();
    }

    ObjectSyncRecords open(PrometheusRegistry metrics) {
        ObjectSyncRecords r = new ObjectSyncRecords(client, FAST, metrics);
        r.start();
        return r;
    }

    GenericKubernetesResource objectSync(String namespace, String name) {
        return namespace == null ? client.genericKubernetesResources(ReliableSyncCrds.CLUSTER_OBJECT_SYNC).withName(name).get()
                : client.genericKubernetesResources(ReliableSyncCrds.OBJECT_SYNC).inNamespace(namespace).withName(name).get();
    }

    static Object path(GenericKubernetesResource r, String part, String field) {
        return ((Map<?, ?>) r.getAdditionalProperties().get(part)).get(field);
    }

    static double counter(PrometheusRegistry registry, String name, String... labels) {
        return registry.scrape().stream().filter(m -> m.getMetadata().getName().equals(name))
                .flatMap(m -> ((CounterSnapshot) m).getDataPoints().stream())
                .filter(d -> {
                    for (int i = 0; i < labels.length; i += 2) {
                        if (!labels[i + 1].equals(d.getLabels().get(labels[i]))) {
                            return false;
                        }
                    }
                    return true;
                })
                .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
    }

    @Test
    void theCrdsAreServedOnlyOnceInstalled() throws Exception {
        assertThat(ReliableSyncCrds.served(client)).isFalse();
        ReliableSyncCrds.install(client, WAIT);
        assertThat(ReliableSyncCrds.served(client)).isTrue();
        ReliableSyncCrds.install(client, WAIT); // again: updates, no conflict
        assertThat(client.apiextensions().v1().customResourceDefinitions().list().getItems())
                .extracting(c -> c.getMetadata().getName())
                .contains("objectsyncs.reliablesyncs.kubeedge.io", "clusterobjectsyncs.reliablesyncs.kubeedge.io");
    }

    @Test
    void acknowledgedVersionsBecomeObjectSyncsAndANewStoreReadsThemBack() throws Exception {
        ReliableSyncCrds.install(client, WAIT);
        records = open(new PrometheusRegistry());
        String svc = UUID.randomUUID().toString();
        String node = UUID.randomUUID().toString();
        Acked web = new Acked("service", "default", "web", "17");
        Acked e1 = new Acked("node", null, "e1", "21");
        records.apply(List.of(new Change("e1", svc, web), new Change("e1", node, e1), new Change("e2", svc, web)));
        await().atMost(WAIT).until(() -> records.pendingCount() == 0);

        GenericKubernetesResource os = objectSync("default", "e1." + svc);
        assertThat(os.getKind()).isEqualTo("ObjectSync");
        assertThat(path(os, "spec", "objectAPIVersion")).isEqualTo("v1");
        assertThat(path(os, "spec", "objectKind")).isEqualTo("Service");
        assertThat(path(os, "spec", "objectName")).isEqualTo("web");
        assertThat(path(os, "status", "objectResourceVersion")).isEqualTo("17");
        assertThat(os.getMetadata().getLabels()).containsEntry(ObjectSyncRecords.NODE_LABEL, "e1");
        GenericKubernetesResource cos = objectSync(null, "e1." + node);
        assertThat(cos.getKind()).isEqualTo("ClusterObjectSync");
        assertThat(path(cos, "spec", "objectKind")).isEqualTo("Node");
        assertThat(path(cos, "status", "objectResourceVersion")).isEqualTo("21");

        // a newer version of a recorded object: its status follows
        records.apply(List.of(new Change("e1", svc, new Acked("service", "default", "web", "30"), web)));
        await().atMost(WAIT).until(() -> records.pendingCount() == 0);
        assertThat(path(objectSync("default", "e1." + svc), "status", "objectResourceVersion")).isEqualTo("30");
        records.close();

        // a restart: a new store instance reads the versions back, per node
        records = open(new PrometheusRegistry());
        assertThat(records.forNode("e1")).isEqualTo(Map.of(svc, new Acked("service", "default", "web", "30"), node, e1));
        assertThat(records.forNode("e2")).isEqualTo(Map.of(svc, web));
        assertThat(records.forNode("e3")).isEmpty();
    }

    @Test
    void anAcknowledgedDeleteRemovesTheRecordAndNodesThatNoLongerExistAreCollected() throws Exception {
        ReliableSyncCrds.install(client, WAIT);
        records = open(new PrometheusRegistry());
        String a = UUID.randomUUID().toString();
        String b = UUID.randomUUID().toString();
        Acked aRecord = new Acked("service", "default", "a", "5");
        records.apply(List.of(new Change("e1", a, aRecord), new Change("e1", b, new Acked("configmap", "kube-system", "b", "6")),
                new Change("gone", a, aRecord), new Change("gone", b, new Acked("namespace", null, "ns", "7"))));
        await().atMost(WAIT).until(() -> records.pendingCount() == 0);
        assertThat(records.count()).isEqualTo(4);

        // the delete of a was acknowledged: the record goes; no leftover to send deletes for again
        records.apply(List.of(new Change("e1", a, null, aRecord)));
        await().atMost(WAIT).until(() -> records.pendingCount() == 0);
        assertThat(objectSync("default", "e1." + a)).isNull();
        assertThat(records.forNode("e1")).containsOnlyKeys(b);
        // a delete whose location is not known is found by name
        records.apply(List.of(new Change("e1", b, null, null)));
        await().atMost(WAIT).until(() -> records.pendingCount() == 0);
        assertThat(objectSync("kube-system", "e1." + b)).isNull();
        assertThat(records.count()).isEqualTo(2);

        // "gone" has no Node object: its records are collected
        records.collect();
        assertThat(records.forNode("gone")).isEmpty();
        assertThat(objectSync(null, "gone." + b)).isNull();
        assertThat(records.count()).isZero();
    }

    @Test
    void whileTheApiFailsChangesWaitCoalescedAndAreWrittenWhenItIsBack() throws Exception {
        ReliableSyncCrds.install(client, WAIT);
        PrometheusRegistry metrics = new PrometheusRegistry();
        records = open(metrics);
        String uid = UUID.randomUUID().toString();
        String gone = UUID.randomUUID().toString();
        records.apply(List.of(new Change("e1", gone, new Acked("service", "default", "old", "1"))));
        await().atMost(WAIT).until(() -> records.pendingCount() == 0);

        dispatcher.failing = true;
        Acked v2 = new Acked("service", "default", "web", "2");
        Acked v3 = new Acked("service", "default", "web", "3");
        records.apply(List.of(new Change("e1", uid, v2)));
        records.apply(List.of(new Change("e1", uid, v3, v2), new Change("e1", gone, null, new Acked("service", "default", "old", "1"))));
        await().atMost(WAIT).until(() -> counter(metrics, "kedge_objectsync_writes", "result", "retry") >= 2);
        // nothing lost, nothing blocked: both changes wait (the two versions of web as one)
        assertThat(records.pendingCount()).isEqualTo(2);
        // a node connecting now gets what is known: the unwritten changes
        assertThat(records.forNode("e1")).isEqualTo(Map.of(uid, v3));
        assertThat(counter(metrics, "kedge_objectsync_read_failures")).isEqualTo(1);

        dispatcher.failing = false;
        await().atMost(WAIT).until(() -> records.pendingCount() == 0);
        assertThat(path(objectSync("default", "e1." + uid), "status", "objectResourceVersion")).isEqualTo("3");
        assertThat(objectSync("default", "e1." + gone)).isNull();
        assertThat(records.forNode("e1")).isEqualTo(Map.of(uid, v3));
    }

    @Test
    void beyondMaxPendingAChangeIsDroppedAndCountedAndTheRestIsWritten() throws Exception {
        ReliableSyncCrds.install(client, WAIT);
        PrometheusRegistry metrics = new PrometheusRegistry();
        records = new ObjectSyncRecords(client, new ObjectSyncRecords.Settings(2, Duration.ofHours(1), Duration.ofMillis(50),
                Duration.ofMillis(200), Duration.ofSeconds(5), 4), metrics);
        records.start();
        dispatcher.failing = true;
        records.apply(List.of(new Change("e1", "u1", new Acked("service", "default", "a", "1")),
                new Change("e1", "u2", new Acked("service", "default", "b", "1")),
                new Change("e1", "u3", new Acked("service", "default", "c", "1"))));
        assertThat(counter(metrics, "kedge_objectsync_dropped")).isEqualTo(1);
        dispatcher.failing = false;
        await().atMost(WAIT).until(() -> records.pendingCount() == 0);
        assertThat(records.forNode("e1")).containsOnlyKeys("u1", "u2");
    }

    @Test
    void nodeNamesTooLongForALabelAreHashedAndTheirRecordsStillRead() throws Exception {
        String longName = "n".repeat(70);
        assertThat(ObjectSyncRecords.nodeLabel("e1")).isEqualTo("e1");
        assertThat(ObjectSyncRecords.nodeLabel(longName)).hasSize(41).isNotEqualTo(ObjectSyncRecords.nodeLabel(longName + "x"));
        ReliableSyncCrds.install(client, WAIT);
        records = open(new PrometheusRegistry());
        Acked a = new Acked("service", "default", "a", "1");
        records.apply(List.of(new Change(longName, "u1", a), new Change(longName + "x", "u2", a)));
        await().atMost(WAIT).until(() -> records.pendingCount() == 0);
        assertThat(records.forNode(longName)).isEqualTo(Map.of("u1", a));
        assertThat(objectSync("default", longName + ".u1")).isNotNull();
    }
}
