package io.kedge.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.kedge.cloud.Cloudcore;
import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.edge.join.EdgeCredentials;
import io.kedge.edge.join.Joiner;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
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

    @Test
    void edgesFollowTheCluster() throws Exception {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        KubernetesClient cluster = server.createClient();
        cluster.services().inNamespace("default").resource(service("web", 80)).create();

        CloudcoreConfig.Standalone off = new CloudcoreConfig.Standalone(false, null, null, null, null, null, null, null, null);
        CloudcoreConfig.CloudHub hub = new CloudcoreConfig.CloudHub(true, List.of("127.0.0.1"), "127.0.0.1:0", "127.0.0.1:0", 100,
                null, null, null, null, null, null);
        cloud = new Cloudcore(new CloudcoreConfig(tmp.resolve("cloud").toString(), new CloudcoreConfig.Admin("127.0.0.1:0"),
                new CloudcoreConfig.Modules(off, null, hub, new CloudcoreConfig.SyncController(16, 2, 3, 1, 1),
                        new CloudcoreConfig.Cluster(true, null, "http://127.0.0.1:" + server.getPort()))));
        cloud.start();

        EdgeCredentials creds = new Joiner(Duration.ofSeconds(10)).join("127.0.0.1:" + cloud.cloudHub().bootstrap().port(),
                cloud.cloudHub().tokens().current(), "e1");
        Path edgeDir = tmp.resolve("edge");
        creds.save(edgeDir.resolve("certs"));
        edge = new CloudEdgeLoopbackTest().startEdgeAt(cloud, "e1", edgeDir);

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
}
