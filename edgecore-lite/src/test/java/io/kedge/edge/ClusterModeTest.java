package io.kedge.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceSubresourceStatus;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.kedge.cloud.Cloudcore;
import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.cloud.reliablesync.ReliableSyncCrds;
import io.kedge.edge.join.EdgeCredentials;
import io.kedge.edge.join.Joiner;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cluster mode: cloudcore-lite follows fabric8's mock API server (CRUD mode) and an edge receives what it holds. */
class ClusterModeTest {
    @TempDir
    Path tmp;
    KubernetesMockServer server;
    Cloudcore cloud;
    Edgecore edge;

    @AfterEach
    void stop() {
        if (edge != null) {
            edge.close();
        }
        if (cloud != null) {
            cloud.close();
        }
        if (server != null) {
            server.destroy();
        }
    }

    static Service service(String name, int port) {
        return new ServiceBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().addNewPort().withPort(port).endPort().endSpec().build();
    }

    KubernetesClient startMockCluster() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        return server.createClient();
    }

    /** cloudcore-lite in cluster mode against the mock, and a joined edge node e1. */
    void startCloudAndEdge(CloudcoreConfig.Cluster cluster) throws Exception {
        CloudcoreConfig.Standalone off = new CloudcoreConfig.Standalone(false, null, null, null, null, null, null, null, null);
        CloudcoreConfig.CloudHub hub = new CloudcoreConfig.CloudHub(true, List.of("127.0.0.1"), "127.0.0.1:0", "127.0.0.1:0", 100,
                null, null, null, null, null, null);
        cloud = new Cloudcore(new CloudcoreConfig(tmp.resolve("cloud").toString(), new CloudcoreConfig.Admin("127.0.0.1:0"),
                new CloudcoreConfig.Modules(off, null, hub, new CloudcoreConfig.SyncController(16, 2, 3, 1, 1), cluster)));
        cloud.start();

        EdgeCredentials creds = new Joiner(Duration.ofSeconds(10)).join("127.0.0.1:" + cloud.cloudHub().bootstrap().port(),
                cloud.cloudHub().tokens().current(), "e1");
        Path edgeDir = tmp.resolve("edge");
        creds.save(edgeDir.resolve("certs"));
        edge = new CloudEdgeLoopbackTest().startEdgeAt(cloud, "e1", edgeDir);
    }

    @Test
    void edgesFollowTheCluster() throws Exception {
        KubernetesClient cluster = startMockCluster();
        cluster.services().inNamespace("default").resource(service("web", 80)).create();
        startCloudAndEdge(new CloudcoreConfig.Cluster(true, null, "http://127.0.0.1:" + server.getPort()));

        try (KubernetesClient meta = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder()
                .withMasterUrl(edge.metaServer().url()).build()).build()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(meta.services().inNamespace("default").withName("web").get()).isNotNull());
            cluster.services().inNamespace("default").withName("web").edit(s -> {
                s.getSpec().getPorts().get(0).setPort(8080);
                return s;
            });
            cluster.services().inNamespace("default").resource(service("api", 81)).create();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(meta.services().inNamespace("default").withName("web").get().getSpec().getPorts().get(0).getPort())
                        .isEqualTo(8080);
                assertThat(meta.services().inNamespace("default").withName("api").get()).isNotNull();
            });
            cluster.services().inNamespace("default").withName("web").delete();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(meta.services().inNamespace("default").withName("web").get()).isNull());
        }
        // the edge node registered in the cluster
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(cluster.nodes().withName("e1").get().getStatus().getConditions())
                .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True")));
    }

    static final ResourceDefinitionContext DEVICES = new ResourceDefinitionContext.Builder().withGroup("devices.kubeedge.io")
            .withVersion("v1beta1").withKind("Device").withPlural("devices").withNamespaced(true).build();
    static final ResourceDefinitionContext DEVICE_MODELS = new ResourceDefinitionContext.Builder().withGroup("devices.kubeedge.io")
            .withVersion("v1beta1").withKind("DeviceModel").withPlural("devicemodels").withNamespaced(true).build();

    static CustomResourceDefinition crd(ResourceDefinitionContext c) {
        return new CustomResourceDefinitionBuilder().withNewMetadata().withName(c.getPlural() + "." + c.getGroup()).endMetadata()
                .withNewSpec().withGroup(c.getGroup()).withScope("Namespaced")
                .withNewNames().withKind(c.getKind()).withPlural(c.getPlural()).withSingular(c.getKind().toLowerCase()).endNames()
                .addNewVersion().withName(c.getVersion()).withServed(true).withStorage(true)
                .withNewSubresources().withStatus(new CustomResourceSubresourceStatus()).endSubresources()
                .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true).endOpenAPIV3Schema()
                .endSchema().endVersion().endSpec().build();
    }

    static GenericKubernetesResource devicesKind(ResourceDefinitionContext c, String name, Map<String, Object> spec) {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion(c.getGroup() + "/" + c.getVersion());
        r.setKind(c.getKind());
        r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace("default").build());
        r.setAdditionalProperty("spec", spec);
        return r;
    }

    static Object objectSyncVersion(KubernetesClient cluster, String name) {
        GenericKubernetesResource r = cluster.genericKubernetesResources(ReliableSyncCrds.OBJECT_SYNC).inNamespace("default")
                .withName(name).get();
        return r == null ? null : ((Map<?, ?>) r.getAdditionalProperties().get("status")).get("objectResourceVersion");
    }

    @Test
    void devicesReachTheirNodeAndWhatItAcknowledgesIsKeptInObjectSyncs() throws Exception {
        KubernetesClient cluster = startMockCluster();
        cluster.apiextensions().v1().customResourceDefinitions().resource(crd(DEVICES)).create();
        cluster.apiextensions().v1().customResourceDefinitions().resource(crd(DEVICE_MODELS)).create();
        GenericKubernetesResource model = cluster.genericKubernetesResources(DEVICE_MODELS).inNamespace("default")
                .resource(devicesKind(DEVICE_MODELS, "thermo", Map.of("properties", List.of(Map.of("name", "temperature", "type", "INT",
                        "accessMode", "ReadOnly"))))).create();
        cluster.genericKubernetesResources(DEVICE_MODELS).inNamespace("default")
                .resource(devicesKind(DEVICE_MODELS, "valve", Map.of())).create();
        GenericKubernetesResource device = cluster.genericKubernetesResources(DEVICES).inNamespace("default")
                .resource(devicesKind(DEVICES, "t1", Map.of("deviceModelRef", Map.of("name", "thermo"), "nodeName", "e1",
                        "protocol", Map.of("protocolName", "modbus")))).create();
        cluster.genericKubernetesResources(DEVICES).inNamespace("default")
                .resource(devicesKind(DEVICES, "elsewhere", Map.of("deviceModelRef", Map.of("name", "valve"), "nodeName", "e2"))).create();

        // the reliable-sync CRDs are missing: cloudcore-lite installs them (modules.cluster.installCrds)
        assertThat(ReliableSyncCrds.served(cluster)).isFalse();
        startCloudAndEdge(new CloudcoreConfig.Cluster(true, null, "http://127.0.0.1:" + server.getPort(), null, true, null, null));
        assertThat(ReliableSyncCrds.served(cluster)).isTrue();

        String deviceRecord = "e1." + device.getMetadata().getUid();
        String modelRecord = "e1." + model.getMetadata().getUid();
        try (KubernetesClient meta = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder()
                .withMasterUrl(edge.metaServer().url()).build()).build()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(meta.genericKubernetesResources(DEVICES).inNamespace("default").withName("t1").get()).isNotNull();
                assertThat(meta.genericKubernetesResources(DEVICE_MODELS).inNamespace("default").withName("thermo").get()).isNotNull();
            });
            // e1 holds its device and that device's model, nothing of e2's
            assertThat(meta.genericKubernetesResources(DEVICES).inNamespace("default").withName("elsewhere").get()).isNull();
            assertThat(meta.genericKubernetesResources(DEVICE_MODELS).inNamespace("default").withName("valve").get()).isNull();

            // what e1 acknowledged is in ObjectSyncs named <node>.<uid>, at the versions it holds (not in SQLite)
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(objectSyncVersion(cluster, deviceRecord)).isEqualTo(device.getMetadata().getResourceVersion());
                assertThat(objectSyncVersion(cluster, modelRecord)).isEqualTo(model.getMetadata().getResourceVersion());
            });
            String nodeUid = cluster.nodes().withName("e1").get().getMetadata().getUid();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(cluster.genericKubernetesResources(
                    ReliableSyncCrds.CLUSTER_OBJECT_SYNC).withName("e1." + nodeUid).get()).isNotNull());
            assertThat(Files.exists(tmp.resolve("cloud").resolve("sync.db"))).isFalse();

            // a newer version: the record follows once the edge has it
            GenericKubernetesResource edited = cluster.genericKubernetesResources(DEVICES).inNamespace("default").withName("t1")
                    .edit(d -> {
                        d.getMetadata().setLabels(Map.of("room", "kitchen"));
                        return d;
                    });
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(objectSyncVersion(cluster, deviceRecord)).isEqualTo(edited.getMetadata().getResourceVersion()));

            // the device goes: it and its model (no other device of e1 uses it) leave the edge, and so do their records
            cluster.genericKubernetesResources(DEVICES).inNamespace("default").withName("t1").delete();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(meta.genericKubernetesResources(DEVICES).inNamespace("default").withName("t1").get()).isNull();
                assertThat(meta.genericKubernetesResources(DEVICE_MODELS).inNamespace("default").withName("thermo").get()).isNull();
                assertThat(cluster.genericKubernetesResources(ReliableSyncCrds.OBJECT_SYNC).inNamespace("default").withName(deviceRecord)
                        .get()).isNull();
                assertThat(cluster.genericKubernetesResources(ReliableSyncCrds.OBJECT_SYNC).inNamespace("default").withName(modelRecord)
                        .get()).isNull();
            });
        }
    }
}
