package io.kedge.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kedge.cloud.Cloudcore;
import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.store.MemoryResourceStore;
import io.kedge.edge.config.EdgecoreConfig;
import io.kedge.edge.join.CertificateRenewer;
import io.kedge.edge.join.EdgeCredentials;
import io.kedge.edge.join.JoinException;
import io.kedge.edge.join.Joiner;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cloudcore-lite and edgecore-lite in this JVM on loopback: join, sync, metaServer, offline restart. */
class CloudEdgeLoopbackTest {
    @TempDir
    Path tmp;
    Cloudcore cloud;
    Edgecore edge;

    @BeforeEach
    void startCloud() throws Exception {
        cloud = startCloudcore(tmp.resolve("cloud"));
    }

    @AfterEach
    void stop() {
        if (edge != null) {
            edge.close();
        }
        if (cloud != null) {
            cloud.close();
        }
    }

    static Cloudcore startCloudcore(Path dir) throws Exception {
        return startCloudcore(dir, "127.0.0.1");
    }

    /** cloudcore-lite with CloudHub and bootstrap on {@code hubHost} (its certificate names 127.0.0.1 and localhost only). */
    static Cloudcore startCloudcore(Path dir, String hubHost) throws Exception {
        CloudcoreConfig.Standalone standalone = new CloudcoreConfig.Standalone(true, "127.0.0.1:0", "198.18.0.0/24", true,
                1000, null, 60, null, null);
        CloudcoreConfig.CloudHub hub = new CloudcoreConfig.CloudHub(true, List.of("127.0.0.1"), hubHost + ":0", hubHost + ":0", 100,
                null, null, null, null, null, null);
        CloudcoreConfig.SyncController sync = new CloudcoreConfig.SyncController(16, 2, 3, 1, 1);
        Cloudcore c = new Cloudcore(new CloudcoreConfig(dir.toString(), new CloudcoreConfig.Admin("127.0.0.1:0"),
                new CloudcoreConfig.Modules(standalone, new CloudcoreConfig.EndpointsController(false, 60), hub, sync)));
        c.start();
        return c;
    }

    String bootstrap() {
        return "127.0.0.1:" + cloud.cloudHub().bootstrap().port();
    }

    Edgecore startEdge(String node, Path dir) throws Exception {
        return startEdgeAt(cloud, node, dir);
    }

    /** edgecore-lite for {@code node} against {@code cloudcore}'s CloudHub, everything on loopback with short timers. */
    Edgecore startEdgeAt(Cloudcore cloudcore, String node, Path dir) throws Exception {
        EdgecoreConfig cfg = new EdgecoreConfig(node, dir.toString(),
                new EdgecoreConfig.CloudHub("127.0.0.1:" + cloudcore.cloudHub().hub().port(), null, 1, 1, 4, 100, 2, null),
                new EdgecoreConfig.MetaServer("127.0.0.1:0"), new EdgecoreConfig.Admin("127.0.0.1:0"));
        Edgecore e = new Edgecore(cfg);
        e.start();
        return e;
    }

    static ObjectNode service(String name, int port) {
        ObjectNode svc = KubeObjects.JSON.createObjectNode();
        svc.put("apiVersion", "v1").put("kind", "Service");
        svc.putObject("metadata").put("name", name).put("namespace", "default");
        ObjectNode spec = svc.putObject("spec");
        spec.putArray("ports").addObject().put("port", port).put("protocol", "TCP");
        spec.putObject("selector").put("app", name);
        return svc;
    }

    @Test
    void joinedNodeReceivesServicesAndServesThemOnTheMetaServerAlsoAfterAnOfflineRestart() throws Exception {
        MemoryResourceStore store = cloud.standalone().store();
        store.create(BuiltinTypes.SERVICES, service("web", 80), WriteOptions.DEFAULT);

        String token = cloud.cloudHub().tokens().current();
        EdgeCredentials creds = new Joiner(Duration.ofSeconds(10)).join(bootstrap(), token, "e1");
        assertThat(creds.certificate().getSubjectX500Principal().getName()).contains("CN=system:node:e1");
        Path edgeDir = tmp.resolve("edge");
        creds.save(edgeDir.resolve("certs"));
        edge = startEdge("e1", edgeDir);

        try (KubernetesClient k = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder()
                .withMasterUrl(edge.metaServer().url()).build()).build()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(k.services().inNamespace("default").withName("web").get()).isNotNull());
            // a change reaches the edge
            ObjectNode web = store.get(BuiltinTypes.SERVICES, "default", "web");
            ((ObjectNode) web.path("spec").path("ports").get(0)).put("port", 8080);
            store.update(BuiltinTypes.SERVICES, web, WriteOptions.DEFAULT);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    k.services().inNamespace("default").withName("web").get().getSpec().getPorts().get(0).getPort()).isEqualTo(8080));
            // the node registered and is Ready
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    k.nodes().withName("e1").get().getStatus().getConditions()).anyMatch(c -> c.getType().equals("Ready")
                    && c.getStatus().equals("True")));
            // the metaServer is read-only, with a Status saying so
            Service extra = new io.fabric8.kubernetes.api.model.ServiceBuilder().withNewMetadata().withName("x").withNamespace("default")
                    .endMetadata().withNewSpec().addNewPort().withPort(1).endPort().endSpec().build();
            assertThatThrownBy(() -> k.services().inNamespace("default").resource(extra).create())
                    .isInstanceOf(KubernetesClientException.class).hasMessageContaining("read-only");
        }

        // offline: the cloud goes; changes made meanwhile arrive after it returns
        edge.close();
        store.delete(BuiltinTypes.SERVICES, "default", "web", Preconditions.NONE, WriteOptions.DEFAULT);
        store.create(BuiltinTypes.SERVICES, service("api", 81), WriteOptions.DEFAULT);
        Path cloudDir = tmp.resolve("cloud");
        cloud.close();
        cloud = null;
        edge = startEdge("e1", edgeDir, 1);
        try (KubernetesClient k = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder()
                .withMasterUrl(edge.metaServer().url()).build()).build()) {
            // served from the node's store with no cloud at all
            assertThat(k.services().inNamespace("default").withName("web").get()).isNotNull();
            cloud = startCloudcore(cloudDir);
        }
        edge.close();
        edge = startEdge("e1", edgeDir);
        try (KubernetesClient k = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder()
                .withMasterUrl(edge.metaServer().url()).build()).build()) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(k.services().inNamespace("default").withName("web").get()).isNull();
                assertThat(k.services().inNamespace("default").withName("api").get()).isNotNull();
            });
        }
    }

    /** An edge pointed at a CloudHub port nobody listens on (the cloud is down). */
    Edgecore startEdge(String node, Path dir, int deadPort) throws Exception {
        EdgecoreConfig cfg = new EdgecoreConfig(node, dir.toString(),
                new EdgecoreConfig.CloudHub("127.0.0.1:" + deadPort, null, 1, 1, 4, 100, 2, null),
                new EdgecoreConfig.MetaServer("127.0.0.1:0"), new EdgecoreConfig.Admin("127.0.0.1:0"));
        Edgecore e = new Edgecore(cfg);
        e.start();
        return e;
    }

    @Test
    void aNodeRenewsItsCertificateWithTheCurrentOneAndOnlyForItself() throws Exception {
        cloud.standalone().store().create(BuiltinTypes.SERVICES, service("web", 80), WriteOptions.DEFAULT);
        EdgeCredentials joined = new Joiner(Duration.ofSeconds(10)).join(bootstrap(), cloud.cloudHub().tokens().current(), "e1");
        X509Certificate cert = joined.certificate();
        assertThat(CertificateRenewer.dueAt(cert)).isEqualTo(cert.getNotBefore().toInstant().plusMillis(
                (long) ((cert.getNotAfter().getTime() - cert.getNotBefore().getTime()) * 0.8)));
        CertificateRenewer renewer = new CertificateRenewer(Duration.ofSeconds(10));
        EdgeCredentials renewed = renewer.renew(bootstrap(), joined, "e1");
        assertThat(renewed.certificate().getSerialNumber()).isNotEqualTo(cert.getSerialNumber());
        assertThat(renewed.certificate().getPublicKey()).isNotEqualTo(cert.getPublicKey());
        assertThat(renewed.certificate().getSubjectX500Principal().getName()).contains("CN=system:node:e1");
        assertThatThrownBy(() -> renewer.renew(bootstrap(), joined, "e2")).isInstanceOf(JoinException.class)
                .hasMessageContaining("403").hasMessageContaining("not for NodeName");
        // the renewed certificate is accepted by CloudHub
        Path edgeDir = tmp.resolve("edge");
        renewed.save(edgeDir.resolve("certs"));
        edge = startEdge("e1", edgeDir);
        try (KubernetesClient k = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder()
                .withMasterUrl(edge.metaServer().url()).build()).build()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(k.services().inNamespace("default").withName("web").get()).isNotNull());
        }
    }

    @Test
    void joinRefusesBadTokensAndForeignCas() throws Exception {
        String token = cloud.cloudHub().tokens().current();
        Joiner joiner = new Joiner(Duration.ofSeconds(10));
        assertThatThrownBy(() -> joiner.join(bootstrap(), "garbage", "e1")).isInstanceOf(JoinException.class)
                .hasMessageContaining("malformed");
        String wrongHash = "0".repeat(64) + token.substring(64);
        assertThatThrownBy(() -> joiner.join(bootstrap(), wrongHash, "e1")).isInstanceOf(JoinException.class)
                .hasMessageContaining("CA hash mismatch");
        String badSignature = token.substring(0, token.length() - 4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
        assertThatThrownBy(() -> joiner.join(bootstrap(), badSignature, "e1")).isInstanceOf(JoinException.class)
                .hasMessageContaining("401").hasMessageContaining("signature");
        assertThatThrownBy(() -> joiner.join(bootstrap(), token, "Bad_Name")).isInstanceOf(JoinException.class)
                .hasMessageContaining("NodeName");
        // a cloud reached at an address its certificate does not name: refused with what to fix
        try (Cloudcore elsewhere = startCloudcore(tmp.resolve("elsewhere"), "127.0.0.2")) {
            String other = "127.0.0.2:" + elsewhere.cloudHub().bootstrap().port();
            String otherToken = elsewhere.cloudHub().tokens().current();
            assertThatThrownBy(() -> joiner.join(other, otherToken, "e1")).isInstanceOf(JoinException.class)
                    .hasMessageContaining("does not name 127.0.0.2").hasMessageContaining("advertiseAddress");
        }
    }
}
