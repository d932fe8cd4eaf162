package io.kedge.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChartLintTest {
    @Test
    void lintsCleanInStrictMode() {
        LintResult result = RenderedChart.lint();
        assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void lintsCleanWithEveryComponentAndTheOptionalPartsOn() {
        LintResult result = RenderedChart.lint("cloudcore.enabled", true, "cloudcore.advertiseAddress", List.of("203.0.113.10"),
                "cloudcore.ca.existingSecret", "kedge-ca", "cloudcore.service.type", "LoadBalancer",
                "agent.meshServers", List.of("198.51.100.7:7443"), "joinToken.value", "join-token-of-24-chars!!",
                "meshServer.turnSecret.value", "turn-secret-of-24-chars!", "meshServer.replicas", 2, "agent.privileged", true);
        assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void lintReportsValuesTheSchemaRefuses() {
        // Lint mode lets `required` and `fail` pass (ChartBadValuesTest renders those); the schema it checks.
        LintResult result = RenderedChart.lint("agent.admin.port", 70000);
        assertThat(result.isFailed()).isTrue();
        assertThat(result.getMessages()).anyMatch(m -> m.contains("[ERROR]") && m.contains("/agent/admin/port"));
    }

    @Test
    void defaultValuesRenderTheAgentAndTheMeshServerButNotCloudcore() throws IOException {
        RenderedChart chart = RenderedChart.render();
        // Kept for reviewers: what `helm template` gives with the chart's defaults.
        Files.writeString(Files.createDirectories(Path.of("target")).resolve("kedge-default.yaml"), chart.manifest);
        assertThat(chart.names()).contains("DaemonSet/kedge-agent-edge", "DaemonSet/kedge-agent-cloud", "ConfigMap/kedge-agent-edge",
                        "ConfigMap/kedge-agent-cloud", "ClusterRole/kedge-agent", "ClusterRoleBinding/kedge-agent", "ServiceAccount/kedge-agent",
                        "Deployment/kedge-server", "Service/kedge-server", "ConfigMap/kedge-server")
                .noneMatch(n -> n.contains("cloudcore"));
        // The default secrets are ones the operator creates: the chart renders none.
        assertThat(chart.names()).noneMatch(n -> n.startsWith("Secret/"));
    }

    @Test
    void everyObjectCarriesTheReleaseLabelsAndNamespacedOnesTheReleaseNamespace() {
        RenderedChart chart = RenderedChart.render("cloudcore.enabled", true, "cloudcore.advertiseAddress", List.of("203.0.113.10"),
                "joinToken.value", "a-join-token-of-some-length", "meshServer.turnSecret.value", "a-turn-secret-of-some-length");
        for (HasMetadata o : chart.objects) {
            assertThat(o.getMetadata().getLabels()).as(o.getKind() + "/" + o.getMetadata().getName())
                    .containsEntry("app.kubernetes.io/instance", RenderedChart.RELEASE)
                    .containsEntry("app.kubernetes.io/name", "kedge");
            if (!o.getKind().startsWith("Cluster")) {
                assertThat(o.getMetadata().getNamespace()).as(o.getKind() + "/" + o.getMetadata().getName()).isEqualTo(RenderedChart.NAMESPACE);
            }
        }
    }
}
