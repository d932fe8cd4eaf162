package io.kedge.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.kedge.cloud.Cloudcore;
import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeedge.SyncedTypes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartCloudcoreTest {
    @TempDir
    Path dir;

    private static RenderedChart enabled(Object... more) {
        Object[] base = {"cloudcore.enabled", true, "cloudcore.advertiseAddress", List.of("203.0.113.10", "cloud.example.net")};
        Object[] all = new Object[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return RenderedChart.render(all);
    }

    private static Container cloudcore(Deployment d) {
        return d.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void theRenderedConfigIsClusterModeWithCloudHubAndCloudcoreItselfAcceptsIt() throws IOException {
        RenderedChart chart = enabled("cloudcore.config.modules.syncController.window", 64);
        CloudcoreConfig config = CloudcoreConfig.load(chart.configFile("kedge-cloudcore", "cloudcore.yaml", dir));
        assertThat(config.modules().cluster().enable()).isTrue();
        assertThat(config.modules().cluster().kubeconfig()).isNull();
        assertThat(config.modules().cluster().master()).isNull();
        assertThat(config.modules().standalone().enable()).isFalse();
        assertThat(config.modules().cloudHub().enable()).isTrue();
        assertThat(config.modules().cloudHub().advertiseAddress()).containsExactly("203.0.113.10", "cloud.example.net");
        assertThat(config.modules().syncController().window()).isEqualTo(64);
        // The constructor checks how the modules combine (one source of truth, a source for CloudHub).
        new Cloudcore(config);

        Deployment d = chart.get(Deployment.class, "kedge-cloudcore");
        Container c = cloudcore(d);
        assertThat(c.getArgs()).containsSequence("serve", "--config", "/etc/kedge/config/cloudcore.yaml");
        assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo(config.dataDir()));
        assertThat(c.getPorts()).extracting(p -> p.getName() + ":" + p.getContainerPort())
                .contains("cloudhub:" + port(config.modules().cloudHub().listen()), "bootstrap:" + port(config.modules().cloudHub().httpsListen()),
                        "admin:" + port(config.admin().listen()));
        ChartAgentTest.assertProbe(c.getReadinessProbe(), "/readyz", port(config.admin().listen()), null);
        ChartAgentTest.assertProbe(c.getLivenessProbe(), "/healthz", port(config.admin().listen()), null);
        assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry("prometheus.io/scrape", "true");
    }

    private static int port(String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }

    @Test
    void oneReplicaOwnsThePersistentDataDirectoryAndRunsUnprivileged() {
        RenderedChart chart = enabled("cloudcore.persistence.size", "5Gi");
        Deployment d = chart.get(Deployment.class, "kedge-cloudcore");
        assertThat(d.getSpec().getReplicas()).isEqualTo(1);
        assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        PersistentVolumeClaim pvc = chart.get(PersistentVolumeClaim.class, "kedge-cloudcore-data");
        assertThat(pvc.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("5Gi");
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("data");
            assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("kedge-cloudcore-data");
        });
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getFsGroup()).isNotNull();
        assertThat(cloudcore(d).getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(cloudcore(d).getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(pod.getServiceAccountName()).isEqualTo("kedge-cloudcore");
    }

    @Test
    void theClusterRoleCoversEveryKindSyncedToEdgesAndTheWritesOfNodeLifecycle() {
        ClusterRole role = enabled().get(ClusterRole.class, "kedge-cloudcore");
        for (ResourceType type : SyncedTypes.all()) {
            for (String verb : new String[] {"get", "list", "watch"}) {
                assertThat(ChartAgentTest.grants(role.getRules(), type.group(), type.plural(), verb))
                        .as("%s %s/%s", verb, type.group(), type.plural()).isTrue();
            }
        }
        assertThat(ChartAgentTest.grants(role.getRules(), BuiltinTypes.NODES.group(), "nodes", "create")).isTrue();
        assertThat(ChartAgentTest.grants(role.getRules(), BuiltinTypes.NODES.group(), "nodes/status", "update")).isTrue();
        // Reading is all it does with Secrets.
        assertThat(ChartAgentTest.grants(role.getRules(), "", "secrets", "update")).isFalse();
        assertThat(ChartAgentTest.grants(role.getRules(), "", "secrets", "create")).isFalse();
    }

    @Test
    void aCaFromASecretIsCopiedIntoTheDataDirectoryWhereCloudcoreLoadsIt() {
        RenderedChart chart = enabled("cloudcore.ca.existingSecret", "kedge-ca", "cloudcore.persistence.enabled", false);
        PodSpec pod = chart.get(Deployment.class, "kedge-cloudcore").getSpec().getTemplate().getSpec();
        Container init = pod.getInitContainers().stream().filter(c -> c.getName().equals("install-ca")).findFirst().orElseThrow();
        String script = String.join(" ", init.getCommand());
        assertThat(script).contains("/var/lib/kedge-cloudcore/pki");
        assertThat(pod.getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("ca");
            assertThat(v.getSecret().getSecretName()).isEqualTo("kedge-ca");
            assertThat(v.getSecret().getItems()).extracting(i -> i.getPath()).containsExactlyInAnyOrder("ca.crt", "ca.key");
        }).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("data");
            assertThat(v.getEmptyDir()).isNotNull();
        });
        assertThat(chart.names()).noneMatch(n -> n.startsWith("PersistentVolumeClaim/"));
    }

    @Test
    void theServiceExposesCloudHubAndBootstrapOnTheChosenNodePorts() {
        Service svc = enabled("cloudcore.service.type", "NodePort", "cloudcore.service.nodePorts.cloudHub", 30000,
                "cloudcore.service.nodePorts.bootstrap", 30002).get(Service.class, "kedge-cloudcore");
        assertThat(svc.getSpec().getType()).isEqualTo("NodePort");
        assertThat(svc.getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort() + ":" + p.getNodePort())
                .containsExactlyInAnyOrder("cloudhub:10000:30000", "bootstrap:10002:30002");
    }

    /**
     * The chart installs the ObjectSync/ClusterObjectSync CRDs (Helm's crds/ folder) exactly as
     * cloudcore-lite ships and installs them, and lets cloudcore-lite write the records the way it does
     * (create, merge-patch the status, delete on acknowledged deletes).
     */
    @Test
    void theChartCarriesCloudcoresObjectSyncCrdsAndTheRightsToWriteThem() throws IOException {
        for (String name : List.of("reliablesyncs.kubeedge.io_objectsyncs.yaml", "reliablesyncs.kubeedge.io_clusterobjectsyncs.yaml")) {
            try (java.io.InputStream shipped = Cloudcore.class.getResourceAsStream("/crds/" + name)) {
                assertThat(shipped).as("cloudcore-lite ships %s", name).isNotNull();
                assertThat(java.nio.file.Files.readString(RenderedChart.CHART.resolve("crds").resolve(name)))
                        .isEqualTo(new String(shipped.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        ClusterRole role = enabled().get(ClusterRole.class, "kedge-cloudcore");
        assertThat(role.getRules()).anySatisfy(r -> {
            assertThat(r.getApiGroups()).contains("reliablesyncs.kubeedge.io");
            assertThat(r.getResources()).contains("objectsyncs", "clusterobjectsyncs");
            assertThat(r.getVerbs()).contains("get", "list", "create", "patch", "delete");
        });
        assertThat(role.getRules()).anySatisfy(r -> {
            assertThat(r.getResources()).contains("objectsyncs/status", "clusterobjectsyncs/status");
            assertThat(r.getVerbs()).contains("patch");
        });
    }
}
