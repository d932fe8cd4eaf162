package io.kedge.charts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Values that cannot work fail the rendering, with a message naming the value to set. */
class ChartBadValuesTest {
    @Test
    void aMeshServerWithoutATurnSecretIsRefused() {
        assertThat(RenderedChart.renderError("meshServer.turnSecret.existingSecret", ""))
                .contains("meshServer.turnSecret").contains("existingSecret").contains("an open relay is not offered");
    }

    @Test
    void aMeshServerWithoutAJoinTokenOrClientCaIsRefused() {
        assertThat(RenderedChart.renderError("joinToken.existingSecret", "")).contains("joinToken").contains("existingSecret");
    }

    @Test
    void tunnellingAgentsWithoutAJoinTokenAreRefusedEvenWithoutAMeshServerHere() {
        assertThat(RenderedChart.renderError("meshServer.enabled", false, "joinToken.existingSecret", "", "agent.meshServers",
                List.of("198.51.100.7:7443"))).contains("joinToken");
    }

    @Test
    void shortSecretsAreRefusedAsTheProgramsWould() {
        assertThat(RenderedChart.renderError("joinToken.value", "short")).contains("joinToken.value must be at least 16 characters");
        assertThat(RenderedChart.renderError("meshServer.turnSecret.value", "short"))
                .contains("meshServer.turnSecret.value must be at least 16 characters");
    }

    @Test
    void severalMeshServerReplicasNeedHostNetwork() {
        assertThat(RenderedChart.renderError("meshServer.hostNetwork", false, "meshServer.relayPublicAddress", "203.0.113.30",
                "meshServer.replicas", 2)).contains("meshServer.replicas=2 needs meshServer.hostNetwork=true");
        assertThat(RenderedChart.renderError("meshServer.hostNetwork", false)).contains("meshServer.relayPublicAddress");
    }

    @Test
    void cloudcoreNeedsAdvertiseAddressesAndADurableCa() {
        assertThat(RenderedChart.renderError("cloudcore.enabled", true)).contains("cloudcore.advertiseAddress is required");
        assertThat(RenderedChart.renderError("cloudcore.enabled", true, "cloudcore.advertiseAddress", List.of("203.0.113.10"),
                "cloudcore.persistence.enabled", false)).contains("cloudcore.ca.existingSecret");
    }

    @Test
    void nothingToDeployIsRefused() {
        assertThat(RenderedChart.renderError("agent.enabled", false, "meshServer.enabled", false)).contains("nothing to deploy");
        assertThat(RenderedChart.renderError("agent.edge.enabled", false, "agent.cloud.enabled", false))
                .contains("agent.edge.enabled and agent.cloud.enabled are both false");
    }

    @Test
    void valuesTheProgramsWouldRefuseAreRefusedBeforeAnyPodStarts() {
        // values.schema.json: Helm names the value's path.
        assertThat(RenderedChart.renderError("agent.admin.port", 70000)).contains("/agent/admin/port").contains("65,535");
        assertThat(RenderedChart.renderError("agent.meshServers", List.of("not a host"))).contains("/agent/meshServers/0");
        assertThat(RenderedChart.renderError("agent.admin.bindAddress", "localhost")).contains("/agent/admin/bindAddress");
        assertThat(RenderedChart.renderError("meshServer.relayPublicAddress", "relay.example.net")).contains("/meshServer/relayPublicAddress");
        assertThat(RenderedChart.renderError("agent.classDataArchive.trainSeconds", -1)).contains("/agent/classDataArchive/trainSeconds");
        // What a pattern cannot say, the chart checks as mesh-server would.
        assertThat(RenderedChart.renderError("meshServer.relayPortRange", "1000-2000"))
                .contains("meshServer.relayPortRange=1000-2000: expected FIRST-LAST within 1024-65535");
        assertThat(RenderedChart.renderError("meshServer.relayPortRange", "50000-40000")).contains("first below last");
    }
}
