package io.kedge.cloud.endpoints;

import static io.kedge.cloud.endpoints.DesiredEndpointsTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.patch.Patch;
import io.kedge.common.kubeapi.patch.PatchType;
import io.kedge.common.kubeapi.store.MemoryResourceStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The controller running against a real in-memory store, driven by writes as clients would make them. */
class EndpointsControllerTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private MemoryResourceStore store;
    private EndpointsController controller;

    @BeforeEach
    void start() {
        store = MemoryResourceStore.inMemory();
        store.create(BuiltinTypes.NAMESPACES, json("{'metadata':{'name':'shop'}}"), WriteOptions.DEFAULT);
        controller = new EndpointsController(store, Duration.ofMinutes(5), new PrometheusRegistry());
        controller.start();
    }

    @AfterEach
    void stop() {
        controller.close();
        store.close();
    }

    private void createService(String name, String selectorApp) {
        store.create(BuiltinTypes.SERVICES, json("{'metadata':{'name':'" + name + "','namespace':'shop'},'spec':{"
                + (selectorApp == null ? "" : "'selector':{'app':'" + selectorApp + "'},")
                + "'ports':[{'name':'http','port':80,'targetPort':'http'}]}}"), WriteOptions.DEFAULT);
    }

    private void createPod(String name, String app, String ip, boolean ready, String node) {
        store.create(BuiltinTypes.PODS, json("{'metadata':{'name':'" + name + "','namespace':'shop','labels':{'app':'" + app + "'}},"
                + "'spec':{'nodeName':'" + node + "','containers':[{'name':'c','ports':[{'name':'http','containerPort':8080}]}]},"
                + "'status':{'phase':'Running','podIP':'" + ip + "','conditions':[{'type':'Ready','status':'" + (ready ? "True" : "False")
                + "'}]}}"), WriteOptions.DEFAULT);
    }

    private void patch(io.kedge.common.kubeapi.ResourceType type, String name, String mergePatch, boolean status) {
        store.patch(type, "shop", name, new Patch(PatchType.MERGE, json(mergePatch)), status ? WriteOptions.STATUS : WriteOptions.DEFAULT);
    }

    /** (address, ready, node) of every endpoint of the service's slices. */
    private List<String> sliceEndpoints(String service) {
        List<String> out = new ArrayList<>();
        for (ObjectNode slice : store.list(BuiltinTypes.ENDPOINT_SLICES, "shop").items()) {
            if (!service.equals(KubeObjects.label(slice, DesiredEndpoints.SERVICE_NAME))) {
                continue;
            }
            for (JsonNode e : slice.path("endpoints")) {
                out.add(e.at("/addresses/0").asText() + " " + e.at("/conditions/ready").asBoolean() + " " + e.path("nodeName").asText("-")
                        + " " + slice.at("/ports/0/port").asText("-"));
            }
        }
        out.sort(null);
        return out;
    }

    private JsonNode endpoints(String name) {
        try {
            return store.get(BuiltinTypes.ENDPOINTS, "shop", name);
        } catch (ApiException e) {
            return null;
        }
    }

    private void eventually(Callable<Boolean> condition) {
        await().atMost(WAIT).until(() -> condition.call() && controller.idle());
    }

    @Test
    void followsReadinessAndPodsMovingNodes() {
        createService("web", "web");
        createPod("a", "web", "100.64.1.11", false, "n1");
        eventually(() -> sliceEndpoints("web").equals(List.of("100.64.1.11 false n1 8080")));
        patch(BuiltinTypes.PODS, "a", "{'status':{'conditions':[{'type':'Ready','status':'True'}]}}", true);
        eventually(() -> sliceEndpoints("web").equals(List.of("100.64.1.11 true n1 8080")));
        assertThat(endpoints("web").at("/subsets/0/addresses/0/ip").asText()).isEqualTo("100.64.1.11");

        // The pod is recreated on another node with another address (pods move by being replaced).
        store.delete(BuiltinTypes.PODS, "shop", "a", Preconditions.NONE, WriteOptions.DEFAULT);
        createPod("a", "web", "100.64.2.11", true, "n2");
        eventually(() -> sliceEndpoints("web").equals(List.of("100.64.2.11 true n2 8080")));
        eventually(() -> endpoints("web").at("/subsets/0/addresses/0/nodeName").asText().equals("n2"));
    }

    @Test
    void followsServicesChangingSelectorsAndPorts() {
        createPod("a", "web", "100.64.1.11", true, "n1");
        createPod("b", "api", "100.64.1.12", true, "n1");
        createService("web", "web");
        eventually(() -> sliceEndpoints("web").equals(List.of("100.64.1.11 true n1 8080")));
        patch(BuiltinTypes.SERVICES, "web", "{'spec':{'selector':{'app':'api'}}}", false);
        eventually(() -> sliceEndpoints("web").equals(List.of("100.64.1.12 true n1 8080")));
        patch(BuiltinTypes.SERVICES, "web", "{'spec':{'ports':[{'name':'http','port':80,'targetPort':9090}]}}", false);
        eventually(() -> sliceEndpoints("web").equals(List.of("100.64.1.12 true n1 9090")));
        patch(BuiltinTypes.PODS, "b", "{'metadata':{'labels':{'app':'other'}}}", false);
        eventually(() -> sliceEndpoints("web").isEmpty());
        assertThat(store.list(BuiltinTypes.ENDPOINT_SLICES, "shop").items()).as("the placeholder slice").hasSize(1);
    }

    @Test
    void selectorLessServicesGetTheirHandWrittenEndpointsMirrored() {
        createService("db", null);
        store.create(BuiltinTypes.ENDPOINTS, json("{'metadata':{'name':'db','namespace':'shop'},'subsets':[{"
                + "'addresses':[{'ip':'192.0.2.10','nodeName':'n1'}],'ports':[{'name':'http','port':5432}]}]}"), WriteOptions.DEFAULT);
        eventually(() -> sliceEndpoints("db").equals(List.of("192.0.2.10 true n1 5432")));
        patch(BuiltinTypes.ENDPOINTS, "db", "{'subsets':[{'addresses':[{'ip':'192.0.2.20'}],'ports':[{'name':'http','port':5432}]}]}", false);
        eventually(() -> sliceEndpoints("db").equals(List.of("192.0.2.20 true - 5432")));
        assertThat(endpoints("db").at("/subsets/0/addresses/0/ip").asText()).as("hand-written Endpoints are left alone")
                .isEqualTo("192.0.2.20");
        store.delete(BuiltinTypes.ENDPOINTS, "shop", "db", Preconditions.NONE, WriteOptions.DEFAULT);
        eventually(() -> sliceEndpoints("db").isEmpty() && store.list(BuiltinTypes.ENDPOINT_SLICES, "shop").items().isEmpty());
    }

    @Test
    void removingTheSelectorOrTheServiceCleansUp() {
        createPod("a", "web", "100.64.1.11", true, "n1");
        createService("web", "web");
        eventually(() -> endpoints("web") != null && !sliceEndpoints("web").isEmpty());
        patch(BuiltinTypes.SERVICES, "web", "{'spec':{'selector':null}}", false);
        eventually(() -> endpoints("web") == null && store.list(BuiltinTypes.ENDPOINT_SLICES, "shop").items().isEmpty());

        createService("api", "web");
        eventually(() -> !sliceEndpoints("api").isEmpty());
        store.delete(BuiltinTypes.SERVICES, "shop", "api", Preconditions.NONE, WriteOptions.DEFAULT);
        eventually(() -> endpoints("api") == null && store.list(BuiltinTypes.ENDPOINT_SLICES, "shop").items().isEmpty());
    }

    @Test
    void tamperingIsUndoneAndStaleSlicesAreCleanedAtStart() {
        createPod("a", "web", "100.64.1.11", true, "n1");
        createService("web", "web");
        eventually(() -> sliceEndpoints("web").size() == 1);
        ObjectNode slice = store.list(BuiltinTypes.ENDPOINT_SLICES, "shop").items().get(0);
        store.delete(BuiltinTypes.ENDPOINT_SLICES, "shop", KubeObjects.name(slice), Preconditions.NONE, WriteOptions.DEFAULT);
        eventually(() -> sliceEndpoints("web").size() == 1);

        // While no controller runs, the service goes; the next controller removes what is left.
        controller.close();
        store.delete(BuiltinTypes.SERVICES, "shop", "web", Preconditions.NONE, WriteOptions.DEFAULT);
        controller = new EndpointsController(store, Duration.ofMinutes(5), new PrometheusRegistry());
        controller.start();
        eventually(() -> store.list(BuiltinTypes.ENDPOINT_SLICES, "shop").items().isEmpty() && endpoints("web") == null);
    }
}
