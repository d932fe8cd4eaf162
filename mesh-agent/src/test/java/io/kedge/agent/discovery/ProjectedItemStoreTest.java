package io.kedge.agent.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kedge.agent.testing.MockApi;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ProjectedItemStoreTest {
    /** Keeps the "color" entry of a ConfigMap; a ConfigMap without data is malformed here. */
    private final ProjectedItemStore<ConfigMap, String> store = new ProjectedItemStore<>(
            "ConfigMap", cm -> cm.getData().get("color"), ConfigMap::new);

    static ConfigMap configMap(String namespace, String name, String resourceVersion, String color) {
        ConfigMapBuilder b = new ConfigMapBuilder().withNewMetadata().withNamespace(namespace).withName(name)
                .withResourceVersion(resourceVersion).addToLabels("big", "label").addToAnnotations("big", "annotation").endMetadata();
        return color == null ? b.build() : b.addToData("color", color).addToData("unused", "x".repeat(1000)).build();
    }

    @Test
    void keepsOnlyTheProjectionAndHandsOutStubsWithKeyAndVersion() {
        ConfigMap first = configMap("default", "a", "1", "red");
        String key = store.getKey(first);
        assertThat(key).isEqualTo("default/a");

        assertThat(store.put(key, first)).isNull();
        ConfigMap old = store.put(key, configMap("default", "a", "2", "blue"));
        // What the informer compares to tell an update from a repeat, and what it needs to key the object.
        assertThat(old.getMetadata().getResourceVersion()).isEqualTo("1");
        assertThat(store.getKey(old)).isEqualTo(key);
        // Nothing else of the object is kept.
        assertThat(old.getData()).isNullOrEmpty();
        assertThat(old.getMetadata().getLabels()).isNullOrEmpty();
        assertThat(old.getMetadata().getAnnotations()).isNullOrEmpty();

        ConfigMap current = store.get(key);
        assertThat(current.getMetadata().getResourceVersion()).isEqualTo("2");
        assertThat(current.getMetadata().getNamespace()).isEqualTo("default");
        assertThat(current.getMetadata().getName()).isEqualTo("a");
        assertThat(store.projections()).containsExactly("blue");
        assertThat(store.size()).isEqualTo(1);
        assertThat(store.keySet()).containsExactly(key);
        assertThat(store.values()).extracting(store::getKey).containsExactly(key);

        assertThat(store.remove(key).getMetadata().getResourceVersion()).isEqualTo("2");
        assertThat(store.remove(key)).isNull();
        assertThat(store.get(key)).isNull();
        assertThat(store.size()).isZero();
        assertThat(store.projections()).isEmpty();
    }

    @Test
    void projectionsComeInKeyOrderAndLeaveOutObjectsThatGiveNothing() {
        for (String name : List.of("c", "a", "d", "b")) {
            ConfigMap cm = configMap("ns", name, "1", name.equals("d") ? null : "color-" + name);
            store.put(store.getKey(cm), cm);
        }
        assertThat(store.projections()).containsExactly("color-a", "color-b", "color-c");
        // A malformed object (no data: the projection throws) is still tracked, so its deletion is seen.
        assertThat(store.size()).isEqualTo(4);
        assertThat(store.get("ns/d").getMetadata().getResourceVersion()).isEqualTo("1");
        assertThat(store.remove("ns/d")).isNotNull();
    }

    @Test
    void clusterScopedObjectsAreKeyedByName() {
        ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName("global").withResourceVersion("5").endMetadata()
                .addToData("color", "green").build();
        String key = store.getKey(cm);
        store.put(key, cm);
        assertThat(key).isEqualTo("global");
        assertThat(store.getKey(store.get(key))).isEqualTo(key);
    }

    @Test
    void aRealInformerAddsUpdatesAndDeletesThroughIt() {
        List<String> events = new CopyOnWriteArrayList<>();
        try (MockApi mock = new MockApi("127.0.0.1", 0, false); KubernetesClient client = mock.client()) {
            client.configMaps().inNamespace("default").resource(configMap("default", "a", null, "red")).create();
            SharedIndexInformer<ConfigMap> informer = client.configMaps().inAnyNamespace().withLimit(1L).runnableInformer(0);
            informer.itemStore(store);
            informer.removeNamespaceIndex();
            informer.addEventHandler(new ResourceEventHandler<>() {
                @Override
                public void onAdd(ConfigMap obj) {
                    events.add("add " + obj.getData().get("color"));
                }

                @Override
                public void onUpdate(ConfigMap oldObj, ConfigMap newObj) {
                    events.add("update " + newObj.getData().get("color"));
                }

                @Override
                public void onDelete(ConfigMap obj, boolean deletedFinalStateUnknown) {
                    events.add("delete " + obj.getMetadata().getName());
                }
            });
            try {
                informer.start().toCompletableFuture().join();
                await().atMost(Duration.ofSeconds(30)).until(() -> store.projections().equals(List.of("red")));

                client.configMaps().inNamespace("default").resource(configMap("default", "b", null, "green")).create();
                client.configMaps().inNamespace("default").withName("a").edit(cm -> {
                    cm.getData().put("color", "blue");
                    return cm;
                });
                await().atMost(Duration.ofSeconds(30)).until(() -> store.projections().equals(List.of("blue", "green")));

                client.configMaps().inNamespace("default").withName("a").delete();
                await().atMost(Duration.ofSeconds(30)).until(() -> store.projections().equals(List.of("green")));
                await().atMost(Duration.ofSeconds(30)).until(() -> events.contains("delete a"));
                assertThat(events).containsSubsequence("add red", "update blue", "delete a").contains("add green");
            } finally {
                informer.stop();
            }
        }
    }
}
