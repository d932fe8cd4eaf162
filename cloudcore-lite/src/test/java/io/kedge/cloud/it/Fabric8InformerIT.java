package io.kedge.cloud.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kedge.cloud.store.StandaloneStore;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.store.MemoryResourceStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * fabric8 informers (kubernetes-client on the JDK HTTP client) on Services, EndpointSlices, Pods and
 * Nodes against a running cloudcore-lite: they list, watch, see changes in order, and carry on after
 * the server restarts, including changes made while it was down.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class Fabric8InformerIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private RunningCloudcore server;
    private KubernetesClient client;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();

    @AfterEach
    void stop() {
        informers.forEach(SharedIndexInformer::close);
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** What an informer saw: "ADD name", "UPDATE name", "DELETE name". */
    static final class Seen<T extends HasMetadata> implements ResourceEventHandler<T> {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void onAdd(T obj) {
            events.add("ADD " + obj.getMetadata().getName());
        }

        @Override
        public void onUpdate(T oldObj, T newObj) {
            if (!oldObj.getMetadata().getResourceVersion().equals(newObj.getMetadata().getResourceVersion())) {
                events.add("UPDATE " + newObj.getMetadata().getName());
            }
        }

        @Override
        public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            events.add("DELETE " + obj.getMetadata().getName());
        }

        List<String> about(String name) {
            return events.stream().filter(e -> e.endsWith(" " + name)).toList();
        }
    }

    private <T extends HasMetadata> Seen<T> inform(SharedIndexInformer<T> informer) {
        Seen<T> seen = new Seen<>();
        informer.addEventHandler(seen);
        informers.add(informer);
        return seen;
    }

    @Test
    void informersFollowChangesInOrderAndSurviveARestart() throws Exception {
        int port = RunningCloudcore.freePort();
        Path data = dir.resolve("data");
        server = new RunningCloudcore(data, port);
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(server.url).withRequestTimeout(10_000)
                .withWatchReconnectInterval(500).withWatchReconnectLimit(-1).build();
        client = new KubernetesClientBuilder().withConfig(config).build();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build()).create();

        Seen<io.fabric8.kubernetes.api.model.Service> services = inform(client.services().inAnyNamespace().runnableInformer(0));
        Seen<io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice> slices =
                inform(client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0));
        Seen<Pod> pods = inform(client.pods().inAnyNamespace().runnableInformer(0));
        Seen<io.fabric8.kubernetes.api.model.Node> nodes = inform(client.nodes().runnableInformer(0));
        for (SharedIndexInformer<?> i : informers) {
            i.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }

        client.services().inNamespace("shop").resource(new ServiceBuilder().withNewMetadata().withName("web").endMetadata()
                .withNewSpec().addToSelector("app", "web").addNewPort().withName("http").withPort(80).endPort().endSpec().build()).create();
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("edge-a1").endMetadata().build()).create();
        Pod pod = new PodBuilder().withNewMetadata().withName("web-1").withNamespace("shop").addToLabels("app", "web").endMetadata()
                .withNewSpec().withNodeName("edge-a1").addNewContainer().withName("c").withImage("i").endContainer().endSpec().build();
        client.pods().inNamespace("shop").resource(pod).create();
        client.pods().inNamespace("shop").withName("web-1").editStatus(p -> new PodBuilder(p).editStatus().withPodIP("100.64.1.11")
                .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build());
        client.services().inNamespace("shop").withName("web").edit(s -> new ServiceBuilder(s).editMetadata().addToLabels("tier", "front")
                .endMetadata().build());
        client.nodes().withName("edge-a1").delete();

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(services.about("web")).containsExactly("ADD web", "UPDATE web");
            assertThat(pods.about("web-1")).containsExactly("ADD web-1", "UPDATE web-1");
            assertThat(nodes.about("edge-a1")).containsExactly("ADD edge-a1", "DELETE edge-a1");
            assertThat(slices.events).anyMatch(e -> e.startsWith("ADD web-"));
            assertThat(client.discovery().v1().endpointSlices().inNamespace("shop").list().getItems())
                    .flatExtracting(s -> s.getEndpoints()).extracting(e -> e.getAddresses().get(0) + " " + e.getConditions().getReady())
                    .containsExactly("100.64.1.11 true");
        });
        int slicesSeen = slices.events.size();

        // The server goes away. While it is down, the store changes (as a newer server would have
        // changed it); when it is back, the informers must catch up without being restarted.
        server.close();
        server = null;
        MemoryResourceStore offline = StandaloneStore.open(new StandaloneStore.Settings(data, 1000, false, "198.18.0.0/24",
                Duration.ofSeconds(1)));
        try {
            offline.delete(BuiltinTypes.PODS, "shop", "web-1", Preconditions.NONE, WriteOptions.DEFAULT);
            offline.create(BuiltinTypes.SERVICES, (com.fasterxml.jackson.databind.node.ObjectNode) KubeObjects.JSON.readTree(
                    "{\"metadata\":{\"name\":\"api\",\"namespace\":\"shop\"},\"spec\":{\"ports\":[{\"port\":81}]}}"), WriteOptions.DEFAULT);
        } finally {
            offline.close();
        }
        server = new RunningCloudcore(data, port);

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(pods.about("web-1")).containsExactly("ADD web-1", "UPDATE web-1", "DELETE web-1");
            assertThat(services.about("api")).containsExactly("ADD api");
            // The endpoints controller, back too, emptied the web slice: informers see that as well.
            assertThat(slices.events.size()).isGreaterThan(slicesSeen);
        });
        client.services().inNamespace("shop").withName("web").delete();
        await().atMost(WAIT).untilAsserted(() -> assertThat(services.about("web")).containsExactly("ADD web", "UPDATE web", "DELETE web"));
    }
}
