package io.kedge.cloud.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.store.MemoryResourceStore;
import io.kedge.common.kubeedge.Message;
import io.kedge.common.kubeedge.MessageCodec;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sync controller against the real in-memory store and SQLite records, with an in-process "edge" that ACKs. */
class SyncControllerTest {
    @TempDir
    Path dir;

    /** Records what it is sent and ACKs it, keeping a map of path -> last operation like an edge store would. */
    static final class FakeEdge implements SyncController.Outbound {
        final String node;
        final List<Message> received = new CopyOnWriteArrayList<>();
        final Map<String, String> state = new ConcurrentHashMap<>();
        volatile SyncController controller;
        volatile boolean acking = true;

        FakeEdge() {
            this("e1");
        }

        FakeEdge(String node) {
            this.node = node;
        }

        @Override
        public void send(String frame) {
            try {
                Message m = MessageCodec.decode(frame);
                received.add(m);
                if (acking) {
                    if (m.operation().equals("delete")) {
                        state.remove(m.resource());
                    } else {
                        state.put(m.resource(), m.header().resourceVersion());
                    }
                    controller.reply(node, m.ack());
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static ObjectNode service(String name) {
        ObjectNode svc = KubeObjects.JSON.createObjectNode();
        svc.putObject("metadata").put("name", name).put("namespace", "default");
        svc.putObject("spec").putArray("ports").addObject().put("port", 80);
        return svc;
    }

    static ObjectNode pod(String name, String node, String configMap) {
        ObjectNode pod = KubeObjects.JSON.createObjectNode();
        pod.putObject("metadata").put("name", name).put("namespace", "default");
        ObjectNode spec = pod.putObject("spec").put("nodeName", node);
        spec.putArray("containers").addObject().put("name", "c").put("image", "x");
        spec.putArray("volumes").addObject().put("name", "v").putObject("configMap").put("name", configMap);
        return pod;
    }

    static ObjectNode configMap(String name) {
        ObjectNode cm = KubeObjects.JSON.createObjectNode();
        cm.putObject("metadata").put("name", name).put("namespace", "default");
        cm.putObject("data").put("k", "v");
        return cm;
    }

    static ObjectNode device(String name, String node, String model) {
        ObjectNode d = KubeObjects.JSON.createObjectNode();
        d.put("apiVersion", "devices.kubeedge.io/v1beta1").put("kind", "Device");
        d.putObject("metadata").put("name", name).put("namespace", "default");
        ObjectNode spec = d.putObject("spec");
        spec.putObject("deviceModelRef").put("name", model);
        spec.put("nodeName", node);
        spec.putObject("protocol").put("protocolName", "modbus");
        return d;
    }

    static ObjectNode deviceModel(String name) {
        ObjectNode m = KubeObjects.JSON.createObjectNode();
        m.put("apiVersion", "devices.kubeedge.io/v1beta1").put("kind", "DeviceModel");
        m.putObject("metadata").put("name", name).put("namespace", "default");
        m.putObject("spec").putArray("properties").addObject().put("name", "temperature").put("type", "INT").put("accessMode", "ReadOnly");
        return m;
    }

    static SyncController controller(MemoryResourceStore store, SyncRecords records) {
        SyncController c = new SyncController(store, records, new SyncController.Settings(8, 3, Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofMillis(300), false, 1000), Clock.systemUTC(), new PrometheusRegistry());
        c.start();
        return c;
    }

    @Test
    void deletesMadeWhileANodeWasAwayArriveAfterARestartAndStaleRecordsDoNotLoop() throws Exception {
        MemoryResourceStore store = MemoryResourceStore.inMemory();
        store.create(BuiltinTypes.SERVICES, service("a"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.SERVICES, service("b"), WriteOptions.DEFAULT);
        FakeEdge edge = new FakeEdge();
        try (SyncRecords records = new SqliteSyncRecords(dir); SyncController c = controller(store, records)) {
            edge.controller = c;
            c.attach("e1", edge);
            await().atMost(Duration.ofSeconds(10)).until(() -> edge.state.containsKey("default/service/a")
                    && edge.state.containsKey("default/service/b"));
            c.detach("e1", edge);
            await().atMost(Duration.ofSeconds(10)).until(() -> c.connectedNodes() == 0);
        }
        // while e1 is away (and cloudcore restarts), b goes and c comes
        store.delete(BuiltinTypes.SERVICES, "default", "b", Preconditions.NONE, WriteOptions.DEFAULT);
        store.create(BuiltinTypes.SERVICES, service("c"), WriteOptions.DEFAULT);
        try (SyncRecords records = new SqliteSyncRecords(dir); SyncController c = controller(store, records)) {
            edge.controller = c;
            c.attach("e1", edge);
            await().atMost(Duration.ofSeconds(10)).until(() -> !edge.state.containsKey("default/service/b")
                    && edge.state.containsKey("default/service/c"));
            // one record per object the edge holds (namespaces, a, c): b's went with its ACKed delete
            await().atMost(Duration.ofSeconds(10)).until(() -> records.count() == edge.state.size());
            assertThat(records.forNode("e1").values()).extracting(SyncRecords.Acked::name).contains("a", "c").doesNotContain("b");
            int before = edge.received.size();
            Thread.sleep(1500); // several reconcile periods: nothing is resent, no delete loops
            assertThat(edge.received.subList(before, edge.received.size())).isEmpty();
        }
    }

    @Test
    void configMapsFollowThePodsBoundToTheNodeAndAnUnackedObjectIsResent() throws Exception {
        MemoryResourceStore store = MemoryResourceStore.inMemory();
        store.create(BuiltinTypes.CONFIGMAPS, configMap("used"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.CONFIGMAPS, configMap("other"), WriteOptions.DEFAULT);
        FakeEdge edge = new FakeEdge();
        try (SyncRecords records = new SqliteSyncRecords(dir); SyncController c = controller(store, records)) {
            edge.controller = c;
            c.attach("e1", edge);
            Thread.sleep(500);
            assertThat(edge.state).doesNotContainKeys("default/configmap/used", "default/configmap/other");
            store.create(BuiltinTypes.PODS, pod("p", "e1", "used"), WriteOptions.DEFAULT);
            await().atMost(Duration.ofSeconds(10)).until(() -> edge.state.containsKey("default/configmap/used"));
            assertThat(edge.state).doesNotContainKey("default/configmap/other");
            store.delete(BuiltinTypes.PODS, "default", "p", Preconditions.NONE, WriteOptions.DEFAULT);
            await().atMost(Duration.ofSeconds(10)).until(() -> !edge.state.containsKey("default/configmap/used"));

            // the edge stops answering: the message is sent again with the same id
            edge.acking = false;
            int before = edge.received.size();
            store.create(BuiltinTypes.SERVICES, service("late"), WriteOptions.DEFAULT);
            await().atMost(Duration.ofSeconds(10)).until(() -> edge.received.subList(before, edge.received.size()).stream()
                    .filter(m -> m.resource().equals("default/service/late")).map(Message::msgId).distinct().count() == 1
                    && edge.received.subList(before, edge.received.size()).stream()
                    .filter(m -> m.resource().equals("default/service/late")).count() >= 2);
        }
    }

    @Test
    void devicesGoToTheirNodeWithTheirModelsAndAMovedDeviceLeavesItsOldNode() throws Exception {
        MemoryResourceStore store = MemoryResourceStore.inMemory();
        store.create(BuiltinTypes.DEVICE_MODELS, deviceModel("thermo"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.DEVICE_MODELS, deviceModel("valve"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.DEVICES, device("t1", "e1", "thermo"), WriteOptions.DEFAULT);
        FakeEdge e1 = new FakeEdge("e1");
        FakeEdge e2 = new FakeEdge("e2");
        try (SyncRecords records = new SqliteSyncRecords(dir); SyncController c = controller(store, records)) {
            e1.controller = c;
            e2.controller = c;
            c.attach("e1", e1);
            c.attach("e2", e2);
            await().atMost(Duration.ofSeconds(10)).until(() -> e1.state.containsKey("default/device/t1")
                    && e1.state.containsKey("default/devicemodel/thermo") && e2.state.containsKey("null/namespace/default"));
            Thread.sleep(700); // two reconcile periods
            assertThat(e1.state).doesNotContainKey("default/devicemodel/valve");
            assertThat(e2.state).doesNotContainKeys("default/device/t1", "default/devicemodel/thermo", "default/devicemodel/valve");

            // the device moves to e2: it and its model leave e1 and reach e2
            ObjectNode moved = store.get(BuiltinTypes.DEVICES, "default", "t1");
            ((ObjectNode) moved.get("spec")).put("nodeName", "e2");
            store.update(BuiltinTypes.DEVICES, moved, WriteOptions.DEFAULT);
            await().atMost(Duration.ofSeconds(10)).until(() -> e2.state.containsKey("default/device/t1")
                    && e2.state.containsKey("default/devicemodel/thermo")
                    && !e1.state.containsKey("default/device/t1") && !e1.state.containsKey("default/devicemodel/thermo"));

            // KubeEdge's older placement (nodeSelector) is followed too
            ObjectNode old = device("v1", "", "valve");
            ((ObjectNode) old.get("spec")).remove("nodeName");
            ((ObjectNode) old.get("spec")).putObject("nodeSelector").putArray("nodeSelectorTerms").addObject()
                    .putArray("matchExpressions").addObject().put("key", "").put("operator", "In").putArray("values").add("e1");
            store.create(BuiltinTypes.DEVICES, old, WriteOptions.DEFAULT);
            await().atMost(Duration.ofSeconds(10)).until(() -> e1.state.containsKey("default/device/v1")
                    && e1.state.containsKey("default/devicemodel/valve"));
            assertThat(e2.state).doesNotContainKeys("default/device/v1", "default/devicemodel/valve");
            // the records follow: e1 holds v1 and valve, e2 holds t1 and thermo
            await().atMost(Duration.ofSeconds(10)).until(() -> records.forNode("e1").values().stream()
                    .noneMatch(a -> a.name().equals("t1") || a.name().equals("thermo")));
            assertThat(records.forNode("e2").values()).extracting(SyncRecords.Acked::name).contains("t1", "thermo");
        }
    }

    @Test
    void aSlowReadOfOneNodesRecordsDoesNotHoldTheOthers() throws Exception {
        MemoryResourceStore store = MemoryResourceStore.inMemory();
        store.create(BuiltinTypes.SERVICES, service("a"), WriteOptions.DEFAULT);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        FakeEdge slow = new FakeEdge("slow");
        FakeEdge fast = new FakeEdge("fast");
        try (SyncRecords sqlite = new SqliteSyncRecords(dir);
             SyncRecords records = new SyncRecords() {
                 @Override
                 public Map<String, Acked> forNode(String node) {
                     if (node.equals("slow")) {
                         try {
                             release.await(); // a remote store that does not answer
                         } catch (InterruptedException e) {
                             Thread.currentThread().interrupt();
                         }
                     }
                     return sqlite.forNode(node);
                 }

                 @Override
                 public void apply(List<Change> changes) {
                     sqlite.apply(changes);
                 }

                 @Override
                 public long count() {
                     return sqlite.count();
                 }

                 @Override
                 public void close() {
                 }
             };
             SyncController c = controller(store, records)) {
            slow.controller = c;
            fast.controller = c;
            c.attach("slow", slow);
            c.attach("fast", fast);
            await().atMost(Duration.ofSeconds(10)).until(() -> fast.state.containsKey("default/service/a"));
            assertThat(slow.received).isEmpty();
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> slow.state.containsKey("default/service/a"));
        }
    }
}
