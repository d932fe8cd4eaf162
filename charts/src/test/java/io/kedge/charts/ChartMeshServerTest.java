package io.kedge.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.kedge.server.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartMeshServerTest {
    private static final String TURN = "turn-secret-of-24-chars!";
    private static final String TOKEN = "join-token-of-24-chars!!";

    @TempDir
    Path dir;

    private static Container server(Deployment d) {
        return d.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void theRealServerConfigAcceptsTheRenderedFileAndEverySecretItNamesIsMountedThere() throws IOException {
        RenderedChart chart = RenderedChart.render("meshServer.turnSecret.value", TURN, "joinToken.value", TOKEN,
                "meshServer.relayPortRange", "50000-50999", "meshServer.relayPublicAddress", "203.0.113.20",
                "meshServer.config.quotas.allocationsPerUser", 4);
        ServerConfig config = ServerConfig.load(chart.configFile("kedge-server", "mesh-server.yaml", dir));
        Deployment d = chart.get(Deployment.class, "kedge-server");
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(chart.mountedFile(pod, server(d), config.auth().sharedSecretFile())).isEqualTo(TURN);
        assertThat(config.signaling().enabled()).isTrue();
        assertThat(chart.mountedFile(pod, server(d), config.signaling().joinTokenFile())).isEqualTo(TOKEN);
        assertThat(chart.mountedFile(pod, server(d), "/etc/kedge/config/mesh-server.yaml"))
                .isEqualTo(chart.get(io.fabric8.kubernetes.api.model.ConfigMap.class, "kedge-server").getData().get("mesh-server.yaml"));
        assertThat(server(d).getArgs()).containsSequence("--config", "/etc/kedge/config/mesh-server.yaml");
        assertThat(config.relay().minPort()).isEqualTo(50000);
        assertThat(config.relay().maxPort()).isEqualTo(50999);
        assertThat(config.relay().publicAddress()).isEqualTo("203.0.113.20");
        assertThat(config.quotas().allocationsPerUser()).isEqualTo(4);
        // Values given as values become Secrets of this release.
        assertThat(chart.names()).contains("Secret/kedge-turn-secret", "Secret/kedge-join-token");
    }

    @Test
    void existingSecretsAreMountedByNameAndNotRendered() throws IOException {
        RenderedChart chart = RenderedChart.render("meshServer.turnSecret.existingSecret", "ops-turn", "joinToken.existingSecret", "ops-join");
        assertThat(chart.names()).noneMatch(n -> n.startsWith("Secret/"));
        PodSpec pod = chart.get(Deployment.class, "kedge-server").getSpec().getTemplate().getSpec();
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getSecret() == null ? null : v.getSecret().getSecretName()).isEqualTo("ops-turn"))
                .anySatisfy(v -> assertThat(v.getSecret() == null ? null : v.getSecret().getSecretName()).isEqualTo("ops-join"));
    }

    @Test
    void aClientCaReplacesTheJoinTokenForSignaling() throws IOException {
        RenderedChart chart = RenderedChart.render("meshServer.clientCa.existingSecret", "cluster-ca", "joinToken.existingSecret", "",
                "agent.enabled", false);
        ServerConfig config = ServerConfig.load(chart.configFile("kedge-server", "mesh-server.yaml", dir));
        assertThat(config.signaling().clientCa()).isEqualTo("/etc/kedge/secrets/client-ca/ca.crt");
        assertThat(config.signaling().joinTokenFile()).isNull();
        assertThat(config.signaling().enabled()).isTrue();
        Deployment d = chart.get(Deployment.class, "kedge-server");
        assertThat(server(d).getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/etc/kedge/secrets/client-ca"))
                .noneSatisfy(m -> assertThat(m.getMountPath()).contains("join-token"));
    }

    @Test
    void hostNetworkReplicasSpreadOverNodesAndKeepTheAdminEndpointOffThePublicAddress() throws IOException {
        RenderedChart chart = RenderedChart.render("meshServer.replicas", 3);
        Deployment d = chart.get(Deployment.class, "kedge-server");
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(d.getSpec().getReplicas()).isEqualTo(3);
        assertThat(pod.getHostNetwork()).isTrue();
        assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        assertThat(pod.getAffinity().getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()).singleElement()
                .satisfies(t -> {
                    assertThat(t.getTopologyKey()).isEqualTo("kubernetes.io/hostname");
                    assertThat(t.getLabelSelector().getMatchLabels()).isEqualTo(d.getSpec().getSelector().getMatchLabels());
                });
        ServerConfig config = ServerConfig.load(chart.configFile("kedge-server", "mesh-server.yaml", dir));
        assertThat(config.admin().host()).isEqualTo("127.0.0.1");
        ChartAgentTest.assertProbe(server(d).getReadinessProbe(), "/readyz", config.admin().port(), "127.0.0.1");
        ChartAgentTest.assertProbe(server(d).getLivenessProbe(), "/healthz", config.admin().port(), "127.0.0.1");
        assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations()).doesNotContainKey("prometheus.io/scrape");
        // Each replica names itself to agents.
        assertThat(server(d).getArgs()).containsSequence("--name", "$(POD_NAME)");
        assertThat(server(d).getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("POD_NAME");
            assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        });
    }

    @Test
    void anAdminOnAPrivateAddressIsScrapedAndProbedThere() throws IOException {
        RenderedChart chart = RenderedChart.render("meshServer.admin.bindAddress", "0.0.0.0", "meshServer.admin.port", 9555);
        Deployment d = chart.get(Deployment.class, "kedge-server");
        assertThat(ServerConfig.load(chart.configFile("kedge-server", "mesh-server.yaml", dir)).admin().listen()).isEqualTo("0.0.0.0:9555");
        ChartAgentTest.assertProbe(server(d).getReadinessProbe(), "/readyz", 9555, null);
        assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", "9555");
    }

    @Test
    void theServerRunsAsAnUnprivilegedUserAndItsServiceCarriesStunTurnAndSignaling() throws IOException {
        RenderedChart chart = RenderedChart.render("meshServer.ports.signaling", 8443);
        Deployment d = chart.get(Deployment.class, "kedge-server");
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(server(d).getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(server(d).getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(server(d).getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        ServerConfig config = ServerConfig.load(chart.configFile("kedge-server", "mesh-server.yaml", dir));
        assertThat(config.signaling().port()).isEqualTo(8443);
        Service svc = chart.get(Service.class, "kedge-server");
        assertThat(svc.getSpec().getPorts()).extracting(p -> p.getProtocol() + "/" + p.getPort())
                .containsExactlyInAnyOrder("UDP/" + config.listen().port(), "TCP/" + config.listen().port(), "TCP/" + config.listen().tlsPort(),
                        "TCP/" + config.signaling().port());
        assertThat(svc.getSpec().getSelector()).isEqualTo(d.getSpec().getSelector().getMatchLabels());
        List<Integer> containerPorts = server(d).getPorts().stream().map(ContainerPort::getContainerPort).toList();
        assertThat(svc.getSpec().getPorts()).extracting(ServicePort::getTargetPort).allSatisfy(t -> assertThat(containerPorts).contains(t.getIntVal()));
    }

    @Test
    void withoutHostNetworkOneReplicaRunsBehindTheServiceWithItsPublicRelayAddress() throws IOException {
        RenderedChart chart = RenderedChart.render("meshServer.hostNetwork", false, "meshServer.relayPublicAddress", "203.0.113.30",
                "meshServer.service.type", "LoadBalancer");
        Deployment d = chart.get(Deployment.class, "kedge-server");
        assertThat(d.getSpec().getTemplate().getSpec().getHostNetwork()).isNotEqualTo(Boolean.TRUE);
        assertThat(chart.get(Service.class, "kedge-server").getSpec().getType()).isEqualTo("LoadBalancer");
        ServerConfig config = ServerConfig.load(chart.configFile("kedge-server", "mesh-server.yaml", dir));
        assertThat(config.admin().host()).isEqualTo("0.0.0.0");
        assertThat(config.relay().publicAddress()).isEqualTo("203.0.113.30");
    }

    @Test
    void disabledTheMeshServerRendersNothingOfItsOwn() {
        RenderedChart chart = RenderedChart.render("meshServer.enabled", false, "meshServer.turnSecret.value", TURN);
        assertThat(chart.names()).noneMatch(n -> n.contains("server") || n.contains("turn")).contains("DaemonSet/kedge-agent-edge");
    }
}
