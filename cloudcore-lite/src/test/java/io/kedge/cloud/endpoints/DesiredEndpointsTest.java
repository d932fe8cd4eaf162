package io.kedge.cloud.endpoints;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.KubeObjects;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DesiredEndpointsTest {
    static ObjectNode json(String text) {
        try {
            return (ObjectNode) KubeObjects.JSON.readTree(text.replace('\'', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static ObjectNode service(String extraSpec) {
        return json("{'metadata':{'name':'web','namespace':'shop','uid':'svc-uid','labels':{'team':'a'}},"
                + "'spec':{'clusterIP':'198.18.0.10','selector':{'app':'web'},"
                + "'ports':[{'name':'http','port':80,'targetPort':'http','protocol':'TCP'},{'name':'admin','port':9000,'targetPort':9001,'protocol':'TCP'}]"
                + extraSpec + "}}");
    }

    static ObjectNode pod(String name, String ip, boolean ready, String node, String httpPortName, int httpPort) {
        return json("{'metadata':{'name':'" + name + "','namespace':'shop','uid':'uid-" + name + "','labels':{'app':'web'}},"
                + "'spec':{'nodeName':'" + node + "','containers':[{'name':'c','ports':[{'name':'" + httpPortName + "','containerPort':"
                + httpPort + ",'protocol':'TCP'}]}]},"
                + "'status':{'phase':'Running','podIP':'" + ip + "','conditions':[{'type':'Ready','status':'" + (ready ? "True" : "False")
                + "'}]}}");
    }

    private static List<String> addresses(JsonNode slice) {
        List<String> out = new ArrayList<>();
        slice.path("endpoints").forEach(e -> out.add(e.path("addresses").get(0).asText()));
        return out;
    }

    @Test
    void slicesCarryReadinessNodesPortsAndOwnership() {
        DesiredEndpoints.Result r = DesiredEndpoints.compute(service(""), List.of(
                pod("b", "100.64.1.12", false, "n2", "http", 8080),
                pod("a", "100.64.1.11", true, "n1", "http", 8080)), null);
        assertThat(r.slices()).hasSize(1);
        JsonNode slice = r.slices().get(0);
        assertThat(slice.path("addressType").asText()).isEqualTo("IPv4");
        assertThat(slice.at("/metadata/labels/kubernetes.io~1service-name").asText()).isEqualTo("web");
        assertThat(slice.at("/metadata/labels/endpointslice.kubernetes.io~1managed-by").asText()).isEqualTo("endpointslice-controller.k8s.io");
        assertThat(slice.at("/metadata/labels/team").asText()).isEqualTo("a");
        assertThat(slice.at("/metadata/ownerReferences/0/uid").asText()).isEqualTo("svc-uid");
        assertThat(addresses(slice)).containsExactly("100.64.1.11", "100.64.1.12");
        assertThat(slice.at("/endpoints/0/conditions/ready").asBoolean()).isTrue();
        assertThat(slice.at("/endpoints/1/conditions/ready").asBoolean()).isFalse();
        assertThat(slice.at("/endpoints/0/nodeName").asText()).isEqualTo("n1");
        assertThat(slice.at("/endpoints/0/targetRef/name").asText()).isEqualTo("a");
        // Named target port resolved from the pod, numeric one taken as is.
        assertThat(slice.path("ports").findValuesAsText("port")).containsExactly("8080", "9001");

        JsonNode ep = r.endpoints();
        assertThat(ep.at("/subsets/0/addresses/0/ip").asText()).isEqualTo("100.64.1.11");
        assertThat(ep.at("/subsets/0/notReadyAddresses/0/ip").asText()).isEqualTo("100.64.1.12");
        assertThat(ep.at("/metadata/labels/endpointslice.kubernetes.io~1skip-mirror").asText()).isEqualTo("true");
    }

    @Test
    void podsResolvingNamedPortsDifferentlyGoToDifferentSlices() {
        DesiredEndpoints.Result r = DesiredEndpoints.compute(service(""), List.of(
                pod("a", "100.64.1.11", true, "n1", "http", 8080),
                pod("b", "100.64.1.12", true, "n1", "http", 8081),
                pod("c", "100.64.1.13", true, "n1", "other", 8080)), null);
        assertThat(r.slices()).hasSize(3);
        assertThat(r.slices()).extracting(s -> s.path("ports").findValuesAsText("port").toString())
                .containsExactlyInAnyOrder("[8080, 9001]", "[8081, 9001]", "[9001]");
        assertThat(r.endpoints().path("subsets")).hasSize(3);
    }

    @Test
    void podsWithoutIpOrFinishedAreLeftOutAndTerminatingOnesMarked() {
        ObjectNode noIp = pod("a", "", true, "n1", "http", 8080);
        ((ObjectNode) noIp.get("status")).remove("podIP");
        ObjectNode done = pod("b", "100.64.1.12", false, "n1", "http", 8080);
        ((ObjectNode) done.get("status")).put("phase", "Succeeded");
        ObjectNode leaving = pod("c", "100.64.1.13", true, "n1", "http", 8080);
        ((ObjectNode) leaving.get("metadata")).put("deletionTimestamp", "2024-01-01T00:00:00Z");
        ObjectNode other = pod("d", "100.64.1.14", true, "n1", "http", 8080);
        ((ObjectNode) other.at("/metadata/labels")).put("app", "db");
        DesiredEndpoints.Result r = DesiredEndpoints.compute(service(""), List.of(noIp, done, leaving, other), null);
        JsonNode slice = r.slices().get(0);
        assertThat(addresses(slice)).containsExactly("100.64.1.13");
        assertThat(slice.at("/endpoints/0/conditions")).isEqualTo(json("{'ready':false,'serving':true,'terminating':true}"));
        assertThat(r.endpoints().has("subsets")).as("terminating pods are not in v1 Endpoints").isFalse();
    }

    @Test
    void publishNotReadyAddressesHostnamesAndIpv6() {
        ObjectNode p = pod("a", "100.64.1.11", false, "n1", "http", 8080);
        ((ObjectNode) p.get("spec")).put("hostname", "a0").put("subdomain", "web");
        ObjectNode v6 = pod("b", "2001:db8::5", true, "n1", "http", 8080);
        DesiredEndpoints.Result r = DesiredEndpoints.compute(service(",'publishNotReadyAddresses':true"), List.of(p, v6), null);
        assertThat(r.slices()).extracting(s -> s.path("addressType").asText()).containsExactly("IPv4", "IPv6");
        JsonNode v4 = r.slices().get(0);
        assertThat(v4.at("/endpoints/0/conditions/ready").asBoolean()).isTrue();
        assertThat(v4.at("/endpoints/0/hostname").asText()).isEqualTo("a0");
    }

    @Test
    void aServiceSelectingNothingHasOneEmptySlice() {
        DesiredEndpoints.Result r = DesiredEndpoints.compute(service(""), List.of(), null);
        assertThat(r.slices()).hasSize(1);
        assertThat(r.slices().get(0).path("endpoints")).isEmpty();
        assertThat(r.endpoints().has("subsets")).isFalse();
    }

    @Test
    void largeServicesAreSplitIntoSlicesOfAHundred() {
        List<ObjectNode> pods = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            pods.add(pod("p" + i, "100.64." + (i / 200) + "." + (i % 200 + 1), true, "n1", "http", 8080));
        }
        DesiredEndpoints.Result r = DesiredEndpoints.compute(service(""), pods, null);
        assertThat(r.slices()).extracting(s -> s.path("endpoints").size()).containsExactly(100, 100, 50);
        assertThat(r.slices()).extracting(KubeObjects::name).doesNotHaveDuplicates();
    }

    @Test
    void selectorLessServicesMirrorHandWrittenEndpoints() {
        ObjectNode svc = json("{'metadata':{'name':'ext','namespace':'shop','uid':'u'},'spec':{'ports':[{'port':5432}]}}");
        ObjectNode handWritten = json("{'metadata':{'name':'ext','namespace':'shop'},'subsets':[{"
                + "'addresses':[{'ip':'192.0.2.10','nodeName':'n1'}],'notReadyAddresses':[{'ip':'192.0.2.11'}],"
                + "'ports':[{'name':'pg','port':5432,'protocol':'TCP'}]}]}");
        DesiredEndpoints.Result r = DesiredEndpoints.compute(svc, List.of(), handWritten);
        assertThat(r.endpoints()).as("the controller does not own a selector-less Service's Endpoints").isNull();
        assertThat(r.slices()).hasSize(1);
        JsonNode slice = r.slices().get(0);
        assertThat(slice.at("/metadata/labels/endpointslice.kubernetes.io~1managed-by").asText())
                .isEqualTo("endpointslicemirroring-controller.k8s.io");
        assertThat(addresses(slice)).containsExactly("192.0.2.10", "192.0.2.11");
        assertThat(slice.at("/endpoints/0/conditions/ready").asBoolean()).isTrue();
        assertThat(slice.at("/endpoints/0/nodeName").asText()).isEqualTo("n1");
        assertThat(slice.at("/endpoints/1/conditions/ready").asBoolean()).isFalse();
        assertThat(slice.at("/ports/0/name").asText()).isEqualTo("pg");

        ((ObjectNode) handWritten.get("metadata")).putObject("labels").put(DesiredEndpoints.SKIP_MIRROR, "true");
        assertThat(DesiredEndpoints.compute(svc, List.of(), handWritten).slices()).isEmpty();
        assertThat(DesiredEndpoints.compute(svc, List.of(), null).slices()).isEmpty();
    }

    @Test
    void externalNameServicesHaveNoEndpoints() {
        DesiredEndpoints.Result r = DesiredEndpoints.compute(service(",'type':'ExternalName','externalName':'db.example.com'"),
                List.of(pod("a", "100.64.1.11", true, "n1", "http", 8080)), null);
        assertThat(r.slices()).isEmpty();
        assertThat(r.endpoints()).isNull();
    }
}
