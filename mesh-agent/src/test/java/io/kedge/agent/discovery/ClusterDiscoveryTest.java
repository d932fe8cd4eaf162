package io.kedge.agent.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kedge.agent.catalog.CatalogStore;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.LoadBalancerPolicy;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.config.AgentConfig;
import io.kedge.agent.testing.CuttableTcpProxy;
import io.kedge.agent.testing.MockApi;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery against fabric8's mock API server (CRUD mode) on loopback, including an API outage. */
class ClusterDiscoveryTest {
    static final ServiceKey WEB = ServiceKey.of("default", "web");
    static final ServiceKey API = ServiceKey.of("default", "api");

    @TempDir
    Path stateDir;
    private MockApi mock;
    private KubernetesClient admin;
    private CuttableTcpProxy link;
    private KubernetesClient agentClient;
    private CatalogStore store;
    private ClusterDiscovery discovery;

    @BeforeEach
    void start() throws Exception {
        mock = new MockApi("127.0.0.1", 0, true);
        admin = mock.client();
        link = new CuttableTcpProxy("127.0.0.1", new InetSocketAddress("127.0.0.1", mock.port()));
    }

    @AfterEach
    void stop() {
        if (discovery != null) {
            discovery.close();
        }
        if (agentClient != null) {
            agentClient.close();
        }
        if (store != null) {
            store.close();
        }
        link.close();
        admin.close();
        mock.close();
    }

    private void startDiscovery() {
        AgentConfig.KubeApi api = new AgentConfig.KubeApi("http://127.0.0.1:" + link.port(), null, null, 5);
        agentClient = KubeClients.create(api);
        store = new CatalogStore();
        discovery = new ClusterDiscovery(agentClient, new CatalogTranslator(AgentConfig.defaults()), store,
                new CatalogStateFile(stateDir), new PrometheusRegistry());
        discovery.start();
    }

    private void createService(String name, String clusterIP, String endpointIP) {
        admin.services().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().withClusterIP(clusterIP).addNewPort().withName("http").withPort(80).withNewTargetPort(8080).endPort().endSpec()
                .build()).create();
        admin.discovery().v1().endpointSlices().inNamespace("default").resource(
                CatalogTranslatorTest.slice(name + "-1", endpointIP, "n1", true, true, false).edit()
                        .editMetadata().withName(name + "-1").addToLabels("kubernetes.io/service-name", name).endMetadata().build()).create();
    }

    @Test
    void followsTheClusterAndRidesOutAnApiOutage() throws Exception {
        createService("web", "198.18.0.10", "198.19.1.10");
        startDiscovery();
        await().atMost(Duration.ofSeconds(30)).until(() -> store.current().usableEndpoints(WEB).size() == 1);
        assertThat(discovery.synced()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> discovery.problem() == null);

        // A DestinationRule changes the policy live.
        GenericKubernetesResource rule = new GenericKubernetesResourceBuilder().withApiVersion("networking.istio.io/v1beta1")
                .withKind("DestinationRule").withNewMetadata().withNamespace("default").withName("web").endMetadata()
                .withAdditionalProperties(Map.of("spec", Map.of("host", "web", "trafficPolicy",
                        Map.of("loadBalancer", Map.of("simple", "RANDOM"))))).build();
        admin.genericKubernetesResources(MockApi.DESTINATION_RULES).inNamespace("default").resource(rule).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> store.current().service(WEB).orElseThrow().policy().kind()
                == LoadBalancerPolicy.Kind.RANDOM);

        // The API goes away: the catalog stays, the problem is reported.
        link.cut();
        await().atMost(Duration.ofSeconds(30)).until(() -> discovery.problem() != null);
        assertThat(store.current().usableEndpoints(WEB)).extracting(Endpoint::ip).containsExactly("198.19.1.10");
        assertThat(discovery.synced()).isTrue();

        // Changes made while the agent could not see them arrive once the API is back. (fabric8's mock
        // server replays current objects on a re-watch but never deletions made meanwhile, unlike a real
        // API server; deletions during an outage are covered against our own API servers.)
        createService("api", "198.18.0.11", "198.19.1.20");
        admin.discovery().v1().endpointSlices().inNamespace("default").withName("web-1").edit(s -> {
            s.getEndpoints().get(0).setAddresses(java.util.List.of("198.19.1.11"));
            return s;
        });
        Thread.sleep(1500); // give a wrongly connected informer every chance to see them early
        assertThat(store.current().service(API)).isEmpty();
        link.restore();
        await().atMost(Duration.ofSeconds(60)).until(() -> store.current().service(API).isPresent()
                && store.current().usableEndpoints(WEB).stream().anyMatch(e -> e.ip().equals("198.19.1.11")));
        await().atMost(Duration.ofSeconds(30)).until(() -> discovery.problem() == null);
        assertThat(store.current().usableEndpoints(API)).extracting(Endpoint::ip).containsExactly("198.19.1.20");

        // And live deletions flow again.
        admin.discovery().v1().endpointSlices().inNamespace("default").withName("web-1").delete();
        await().atMost(Duration.ofSeconds(30)).until(() -> store.current().usableEndpoints(WEB).isEmpty());
    }

    @Test
    void podsAndNodesAreWatchedUntypedAndJoinedToEndpoints() {
        admin.nodes().resource(new NodeBuilder().withNewMetadata().withName("n1").endMetadata().withNewStatus()
                .addNewAddress().withType("InternalIP").withAddress("100.64.1.11").endAddress()
                .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build()).create();
        admin.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withNamespace("default").withName("pod-web-1")
                .endMetadata().withNewSpec().withNodeName("n1").endSpec().build()).create();
        admin.services().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata().withName("web").withNamespace("default").endMetadata()
                .withNewSpec().withClusterIP("198.18.0.10").addNewPort().withName("http").withPort(80).endPort().endSpec().build()).create();
        // No node name on the endpoint: its pod's node stands in.
        admin.discovery().v1().endpointSlices().inNamespace("default").resource(
                CatalogTranslatorTest.slice("web-1", "198.19.1.10", null, true, true, false)).create();
        startDiscovery();
        await().atMost(Duration.ofSeconds(30)).until(() -> store.current().nodes().containsKey("n1")
                && store.current().endpoints(WEB).stream().anyMatch(e -> "n1".equals(e.nodeName())));
        assertThat(store.current().nodes().get("n1").internalIPs()).containsExactly("100.64.1.11");
        assertThat(store.current().nodes().get("n1").ready()).isTrue();

        // The pod moves (recreated elsewhere): the endpoint follows.
        admin.pods().inNamespace("default").withName("pod-web-1").delete();
        admin.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withNamespace("default").withName("pod-web-1")
                .endMetadata().withNewSpec().withNodeName("n2").endSpec().build()).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> store.current().endpoints(WEB).stream().anyMatch(e -> "n2".equals(e.nodeName())));
    }

    /** Serves web from the API until its catalog is saved, then stops, as an agent that is restarted. */
    private void runUntilSavedThenStop() {
        createService("web", "198.18.0.10", "198.19.1.10");
        startDiscovery();
        await().atMost(Duration.ofSeconds(30)).until(() -> store.current().usableEndpoints(WEB).size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(stateDir.resolve("catalog.json")));
        discovery.close();
        agentClient.close();
        store.close();
    }

    @Test
    void aRestartWhileTheApiIsDownServesTheSavedCatalog() throws Exception {
        runUntilSavedThenStop();

        link.cut();
        startDiscovery();
        await().atMost(Duration.ofSeconds(10)).until(() -> store.current().usableEndpoints(WEB).size() == 1);
        assertThat(discovery.synced()).as("serving saved state, not yet synced").isFalse();
        assertThat(discovery.problem()).isNotNull();

        link.restore();
        await().atMost(Duration.ofSeconds(60)).until(discovery::synced);
    }

    @Test
    void afterARestartTheApisEqualObjectsShareTheSavedCatalogsInstances() throws Exception {
        runUntilSavedThenStop();

        startDiscovery(); // the API is reachable: the saved catalog first, then the API's equal content
        await().atMost(Duration.ofSeconds(60)).until(discovery::synced);
        Endpoint saved = store.current().endpoints(WEB).get(0);
        io.kedge.agent.catalog.Service savedService = store.current().service(WEB).orElseThrow();
        // Another Service makes a new catalog; web's parts in it must be the saved ones, not the API's copies.
        createService("api", "198.18.0.11", "198.19.1.11");
        await().atMost(Duration.ofSeconds(30)).until(() -> store.current().usableEndpoints(API).size() == 1);
        assertThat(store.current().endpoints(WEB).get(0)).isSameAs(saved);
        assertThat(store.current().service(WEB).orElseThrow()).isSameAs(savedService);
    }

    @Test
    void anUnreadableStateFileIsSetAsideNotFatal() throws Exception {
        Files.writeString(stateDir.resolve("catalog.json"), "{ not json");
        CatalogStateFile file = new CatalogStateFile(stateDir);
        assertThat(file.load()).isEmpty();
        assertThat(Files.exists(stateDir.resolve("catalog.json.unreadable"))).isTrue();
        assertThat(Files.exists(stateDir.resolve("catalog.json"))).isFalse();
    }
}
