package io.kedge.common.kubeapi.store;

import static io.kedge.common.kubeapi.Json.node;
import static io.kedge.common.kubeapi.Json.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.Watch;
import io.kedge.common.kubeapi.WatchEvent;
import io.kedge.common.kubeapi.WatchListener;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.patch.Patch;
import io.kedge.common.kubeapi.patch.PatchType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryResourceStoreTest {
    private MemoryResourceStore store = new MemoryResourceStore(MemoryResourceStore.Options.DEFAULT
            .withNamespaceCleanupDelay(Duration.ofMillis(200)), StoreJournal.NONE);

    @AfterEach
    void close() {
        store.close();
    }

    static ObjectNode service(String name, String namespace) {
        return object("{'metadata':{'name':'" + name + "','namespace':'" + namespace + "','labels':{'app':'" + name + "'}},"
                + "'spec':{'selector':{'app':'" + name + "'},'ports':[{'port':80}]}}");
    }

    static int code(ThrowableAssert.ThrowingCallable call) {
        try {
            call.call();
        } catch (ApiException e) {
            return e.code();
        } catch (Throwable t) {
            throw new AssertionError("expected an ApiException, got " + t, t);
        }
        throw new AssertionError("expected an ApiException, nothing was thrown");
    }

    /** Records what a watch delivers. */
    static final class Recorder implements WatchListener {
        final List<WatchEvent> events = new CopyOnWriteArrayList<>();
        final AtomicBoolean closed = new AtomicBoolean();

        @Override
        public void onEvent(WatchEvent event) {
            events.add(event);
        }

        @Override
        public void onClose(ApiException reason) {
            closed.set(true);
        }

        List<String> summary() {
            return events.stream().map(e -> e.type() + (e.object() == null ? "" : " " + KubeObjects.name(e.object()))).toList();
        }
    }

    @Test
    void createStampsSystemFieldsAndDefaults() {
        ObjectNode created = store.create(BuiltinTypes.SERVICES, service("web", "default"), WriteOptions.DEFAULT);
        assertThat(created.path("apiVersion").asText()).isEqualTo("v1");
        assertThat(created.path("kind").asText()).isEqualTo("Service");
        assertThat(created.at("/metadata/uid").asText()).hasSize(36);
        assertThat(created.at("/metadata/creationTimestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(created.at("/metadata/generation").asLong()).isEqualTo(1);
        assertThat(Long.parseLong(KubeObjects.resourceVersion(created))).isEqualTo(store.resourceVersion());
        assertThat(created.at("/spec/type").asText()).isEqualTo("ClusterIP");
        assertThat(created.at("/spec/ports/0/protocol").asText()).isEqualTo("TCP");
        assertThat(created.at("/spec/ports/0/targetPort").asInt()).isEqualTo(80);
        assertThat(store.get(BuiltinTypes.SERVICES, "default", "web")).isEqualTo(created);
    }

    @Test
    void resourceVersionsOnlyGrow() {
        long before = store.resourceVersion();
        ObjectNode a = store.create(BuiltinTypes.CONFIGMAPS, object("{'metadata':{'name':'a','namespace':'default'}}"), WriteOptions.DEFAULT);
        ObjectNode b = store.create(BuiltinTypes.CONFIGMAPS, object("{'metadata':{'name':'b','namespace':'default'}}"), WriteOptions.DEFAULT);
        long ra = Long.parseLong(KubeObjects.resourceVersion(a));
        long rb = Long.parseLong(KubeObjects.resourceVersion(b));
        assertThat(ra).isGreaterThan(before);
        assertThat(rb).isGreaterThan(ra);
        store.delete(BuiltinTypes.CONFIGMAPS, "default", "a", Preconditions.NONE, WriteOptions.DEFAULT);
        assertThat(store.resourceVersion()).isGreaterThan(rb);
    }

    @Test
    void duplicatesMissingObjectsAndMissingNamespacesAreRefused() {
        store.create(BuiltinTypes.SERVICES, service("web", "default"), WriteOptions.DEFAULT);
        assertThat(code(() -> store.create(BuiltinTypes.SERVICES, service("web", "default"), WriteOptions.DEFAULT))).isEqualTo(409);
        assertThat(code(() -> store.get(BuiltinTypes.SERVICES, "default", "nope"))).isEqualTo(404);
        assertThatThrownBy(() -> store.create(BuiltinTypes.SERVICES, service("web", "nowhere"), WriteOptions.DEFAULT))
                .isInstanceOf(ApiException.class).hasMessage("namespaces \"nowhere\" not found");
        assertThat(code(() -> store.delete(BuiltinTypes.SERVICES, "default", "nope", Preconditions.NONE, WriteOptions.DEFAULT)))
                .isEqualTo(404);
    }

    @Test
    void missingNamespacesAreCreatedWhenConfigured() {
        store.close();
        store = new MemoryResourceStore(MemoryResourceStore.Options.DEFAULT.withAutoCreateNamespaces(true), StoreJournal.NONE);
        store.create(BuiltinTypes.SERVICES, service("web", "shop"), WriteOptions.DEFAULT);
        assertThat(store.get(BuiltinTypes.NAMESPACES, null, "shop").at("/status/phase").asText()).isEqualTo("Active");
    }

    @Test
    void invalidNamesAndLabelsAre422WithEveryCause() {
        ObjectNode bad = object("{'metadata':{'name':'Bad_Name','namespace':'default','labels':{'ok':'fine','-bad':'x','k':'v v'}}}");
        ApiException e = (ApiException) org.assertj.core.api.Assertions.catchThrowable(
                () -> store.create(BuiltinTypes.CONFIGMAPS, bad, WriteOptions.DEFAULT));
        assertThat(e.code()).isEqualTo(422);
        assertThat(e.causes()).extracting(ApiException.Cause::field)
                .containsExactly("metadata.name", "metadata.labels", "metadata.labels");
        assertThat(code(() -> store.create(BuiltinTypes.SERVICES, service("a.b", "default"), WriteOptions.DEFAULT)))
                .as("service names are DNS labels").isEqualTo(422);
        assertThat(code(() -> store.create(BuiltinTypes.CONFIGMAPS, object("{'metadata':{'namespace':'default'}}"),
                WriteOptions.DEFAULT))).isEqualTo(422);
        assertThat(store.list(BuiltinTypes.CONFIGMAPS, null).items()).isEmpty();
    }

    @Test
    void generateNameAddsARandomSuffix() {
        ObjectNode created = store.create(BuiltinTypes.CONFIGMAPS,
                object("{'metadata':{'generateName':'cfg-','namespace':'default'}}"), WriteOptions.DEFAULT);
        assertThat(KubeObjects.name(created)).matches("cfg-[a-z0-9]{5}");
    }

    @Test
    void updatesAreOptimisticOnlyWhenTheyCarryAResourceVersion() {
        ObjectNode created = store.create(BuiltinTypes.SERVICES, service("web", "default"), WriteOptions.DEFAULT);
        ObjectNode stale = created.deepCopy();
        ObjectNode first = created.deepCopy();
        ((ObjectNode) first.get("spec")).put("clusterIP", "198.18.0.1");
        ObjectNode updated = store.update(BuiltinTypes.SERVICES, first, WriteOptions.DEFAULT);
        assertThat(updated.at("/metadata/generation").asLong()).isEqualTo(2);
        ((ObjectNode) stale.get("spec")).put("clusterIP", "198.18.0.2");
        assertThatThrownBy(() -> store.update(BuiltinTypes.SERVICES, stale, WriteOptions.DEFAULT))
                .isInstanceOf(ApiException.class).hasMessageContaining("the object has been modified");
        KubeObjects.metadata(stale).remove("resourceVersion");
        assertThat(store.update(BuiltinTypes.SERVICES, stale, WriteOptions.DEFAULT).at("/spec/clusterIP").asText()).isEqualTo("198.18.0.2");
    }

    @Test
    void labelChangesDoNotMoveGenerationAndNoOpWritesChangeNothing() {
        ObjectNode created = store.create(BuiltinTypes.SERVICES, service("web", "default"), WriteOptions.DEFAULT);
        Recorder r = new Recorder();
        store.watch(BuiltinTypes.SERVICES, null, KubeObjects.resourceVersion(created), r);
        ObjectNode labelled = store.patch(BuiltinTypes.SERVICES, "default", "web",
                new Patch(PatchType.MERGE, node("{'metadata':{'labels':{'x':'y'}}}")), WriteOptions.DEFAULT);
        assertThat(labelled.at("/metadata/generation").asLong()).isEqualTo(1);
        ObjectNode again = store.update(BuiltinTypes.SERVICES, labelled, WriteOptions.DEFAULT);
        assertThat(KubeObjects.resourceVersion(again)).isEqualTo(KubeObjects.resourceVersion(labelled));
        assertThat(r.summary()).containsExactly("MODIFIED web");
    }

    @Test
    void statusIsOnlyWrittenThroughTheStatusSubresource() {
        ObjectNode pod = object("{'metadata':{'name':'p','namespace':'default'},'spec':{'containers':[{'name':'c'}]},"
                + "'status':{'phase':'Running','podIP':'100.64.1.5'}}");
        ObjectNode created = store.create(BuiltinTypes.PODS, pod, WriteOptions.DEFAULT);
        assertThat(created.at("/status/podIP").asText()).as("created objects keep their status: no kubelet here").isEqualTo("100.64.1.5");

        ObjectNode mainUpdate = created.deepCopy();
        ((ObjectNode) mainUpdate.get("status")).put("podIP", "100.64.1.6");
        ((ObjectNode) mainUpdate.get("spec")).put("nodeName", "n1");
        ObjectNode afterMain = store.update(BuiltinTypes.PODS, mainUpdate, WriteOptions.DEFAULT);
        assertThat(afterMain.at("/status/podIP").asText()).isEqualTo("100.64.1.5");
        assertThat(afterMain.at("/spec/nodeName").asText()).isEqualTo("n1");

        ObjectNode statusUpdate = afterMain.deepCopy();
        ((ObjectNode) statusUpdate.get("status")).put("podIP", "100.64.1.7");
        ((ObjectNode) statusUpdate.get("spec")).put("nodeName", "n2");
        ObjectNode afterStatus = store.update(BuiltinTypes.PODS, statusUpdate, WriteOptions.STATUS);
        assertThat(afterStatus.at("/status/podIP").asText()).isEqualTo("100.64.1.7");
        assertThat(afterStatus.at("/spec/nodeName").asText()).isEqualTo("n1");
        assertThat(afterStatus.at("/metadata/generation").asLong()).isEqualTo(afterMain.at("/metadata/generation").asLong());

        ObjectNode patched = store.patch(BuiltinTypes.PODS, "default", "p",
                new Patch(PatchType.STRATEGIC, node("{'status':{'conditions':[{'type':'Ready','status':'True'}]}}")), WriteOptions.STATUS);
        assertThat(patched.at("/status/conditions/0/type").asText()).isEqualTo("Ready");
        assertThat(patched.at("/status/podIP").asText()).isEqualTo("100.64.1.7");
    }

    @Test
    void patchesCarryingAStaleResourceVersionConflict() {
        store.create(BuiltinTypes.SERVICES, service("web", "default"), WriteOptions.DEFAULT);
        assertThat(code(() -> store.patch(BuiltinTypes.SERVICES, "default", "web",
                new Patch(PatchType.MERGE, node("{'metadata':{'resourceVersion':'1'},'spec':{'clusterIP':'198.18.0.3'}}")),
                WriteOptions.DEFAULT))).isEqualTo(409);
        assertThat(code(() -> store.patch(BuiltinTypes.SERVICES, "default", "nope",
                new Patch(PatchType.MERGE, node("{}")), WriteOptions.DEFAULT))).isEqualTo(404);
    }

    @Test
    void applyCreatesWhenAbsent() {
        ObjectNode applied = store.patch(BuiltinTypes.CONFIGMAPS, "default", "cfg", new Patch(PatchType.APPLY,
                node("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'cfg','namespace':'default'},'data':{'a':'1'}}")),
                WriteOptions.DEFAULT);
        assertThat(applied.at("/data/a").asText()).isEqualTo("1");
        assertThat(applied.at("/metadata/uid").isTextual()).isTrue();
    }

    @Test
    void dryRunStoresNothing() {
        long before = store.resourceVersion();
        ObjectNode answer = store.create(BuiltinTypes.SERVICES, service("web", "default"), new WriteOptions(true, false));
        assertThat(answer.at("/spec/type").asText()).isEqualTo("ClusterIP");
        assertThat(code(() -> store.get(BuiltinTypes.SERVICES, "default", "web"))).isEqualTo(404);
        assertThat(store.resourceVersion()).isEqualTo(before);
    }

    @Test
    void finalizersHoldDeletionUntilTheyAreRemoved() {
        ObjectNode cm = object("{'metadata':{'name':'held','namespace':'default','finalizers':['example.com/keep']}}");
        store.create(BuiltinTypes.CONFIGMAPS, cm, WriteOptions.DEFAULT);
        ObjectNode marked = store.delete(BuiltinTypes.CONFIGMAPS, "default", "held", Preconditions.NONE, WriteOptions.DEFAULT);
        assertThat(marked.at("/metadata/deletionTimestamp").isTextual()).isTrue();
        assertThat(store.get(BuiltinTypes.CONFIGMAPS, "default", "held")).isNotNull();
        store.patch(BuiltinTypes.CONFIGMAPS, "default", "held",
                new Patch(PatchType.MERGE, node("{'metadata':{'finalizers':null}}")), WriteOptions.DEFAULT);
        assertThat(code(() -> store.get(BuiltinTypes.CONFIGMAPS, "default", "held"))).isEqualTo(404);
    }

    @Test
    void deletePreconditionsAreChecked() {
        ObjectNode created = store.create(BuiltinTypes.SERVICES, service("web", "default"), WriteOptions.DEFAULT);
        assertThat(code(() -> store.delete(BuiltinTypes.SERVICES, "default", "web", new Preconditions("other-uid", null),
                WriteOptions.DEFAULT))).isEqualTo(409);
        assertThat(code(() -> store.delete(BuiltinTypes.SERVICES, "default", "web", new Preconditions(null, "1"),
                WriteOptions.DEFAULT))).isEqualTo(409);
        ObjectNode gone = store.delete(BuiltinTypes.SERVICES, "default", "web",
                new Preconditions(KubeObjects.uid(created), KubeObjects.resourceVersion(created)), WriteOptions.DEFAULT);
        assertThat(KubeObjects.name(gone)).isEqualTo("web");
    }

    @Test
    void deletingANamespaceTerminatesItThenRemovesItsContents() {
        store.create(BuiltinTypes.NAMESPACES, object("{'metadata':{'name':'shop'}}"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.SERVICES, service("web", "shop"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.SERVICES, service("web", "default"), WriteOptions.DEFAULT);
        ObjectNode terminating = store.delete(BuiltinTypes.NAMESPACES, null, "shop", Preconditions.NONE, WriteOptions.DEFAULT);
        assertThat(terminating.at("/status/phase").asText()).isEqualTo("Terminating");
        assertThat(store.get(BuiltinTypes.SERVICES, "shop", "web")).as("contents stay a moment, as in Kubernetes").isNotNull();
        assertThat(code(() -> store.create(BuiltinTypes.SERVICES, service("db", "shop"), WriteOptions.DEFAULT))).isEqualTo(403);
        await().atMost(Duration.ofSeconds(10)).until(() -> store.list(BuiltinTypes.NAMESPACES, null).items().stream()
                .noneMatch(n -> KubeObjects.name(n).equals("shop")));
        assertThat(store.list(BuiltinTypes.SERVICES, "shop").items()).isEmpty();
        assertThat(store.list(BuiltinTypes.SERVICES, "default").items()).hasSize(1);
        assertThat(code(() -> store.delete(BuiltinTypes.NAMESPACES, null, "default", Preconditions.NONE, WriteOptions.DEFAULT)))
                .isEqualTo(403);
    }

    @Test
    void watchWithoutVersionStartsWithCurrentObjectsThenFollowsInOrder() {
        store.create(BuiltinTypes.SERVICES, service("a", "default"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.NAMESPACES, object("{'metadata':{'name':'other'}}"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.SERVICES, service("b", "other"), WriteOptions.DEFAULT);
        Recorder all = new Recorder();
        Recorder inDefault = new Recorder();
        store.watch(BuiltinTypes.SERVICES, null, null, all);
        store.watch(BuiltinTypes.SERVICES, "default", "0", inDefault);
        store.create(BuiltinTypes.SERVICES, service("c", "default"), WriteOptions.DEFAULT);
        store.patch(BuiltinTypes.SERVICES, "other", "b", new Patch(PatchType.MERGE, node("{'spec':{'clusterIP':'198.18.0.9'}}")),
                WriteOptions.DEFAULT);
        store.delete(BuiltinTypes.SERVICES, "default", "a", Preconditions.NONE, WriteOptions.DEFAULT);
        assertThat(all.summary()).containsExactly("ADDED a", "ADDED b", "BOOKMARK", "ADDED c", "MODIFIED b", "DELETED a");
        assertThat(all.events.get(2).initialEventsEnd()).isTrue();
        assertThat(inDefault.summary()).containsExactly("ADDED a", "BOOKMARK", "ADDED c", "DELETED a");
        List<Long> versions = all.events.subList(3, 6).stream().map(WatchEvent::resourceVersion).toList();
        assertThat(versions).isSorted().doesNotHaveDuplicates();
        WatchEvent modified = all.events.get(4);
        assertThat(modified.previous().at("/spec/clusterIP").isMissingNode()).isTrue();
        assertThat(modified.object().at("/spec/clusterIP").asText()).isEqualTo("198.18.0.9");
        assertThat(KubeObjects.resourceVersion(all.events.get(5).object()))
                .as("a DELETED event carries the deletion's resourceVersion").isEqualTo(Long.toString(all.events.get(5).resourceVersion()));
    }

    @Test
    void watchResumesFromAResourceVersionAndBookmarksOnRequest() {
        ObjectNode a = store.create(BuiltinTypes.SERVICES, service("a", "default"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.SERVICES, service("b", "default"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.CONFIGMAPS, object("{'metadata':{'name':'x','namespace':'default'}}"), WriteOptions.DEFAULT);
        Recorder r = new Recorder();
        Watch w = store.watch(BuiltinTypes.SERVICES, null, KubeObjects.resourceVersion(a), r);
        assertThat(r.summary()).containsExactly("ADDED b");
        w.bookmark();
        assertThat(r.events.get(1).type()).isEqualTo(WatchEvent.Type.BOOKMARK);
        assertThat(r.events.get(1).resourceVersion()).isEqualTo(store.resourceVersion());
        w.close();
        store.create(BuiltinTypes.SERVICES, service("c", "default"), WriteOptions.DEFAULT);
        assertThat(r.events).hasSize(2);
    }

    @Test
    void watchFromBeyondTheEventWindowIsGone() {
        store.close();
        store = new MemoryResourceStore(MemoryResourceStore.Options.DEFAULT.withEventWindow(3), StoreJournal.NONE);
        ObjectNode first = store.create(BuiltinTypes.CONFIGMAPS, object("{'metadata':{'name':'c0','namespace':'default'}}"),
                WriteOptions.DEFAULT);
        for (int i = 1; i <= 5; i++) {
            store.create(BuiltinTypes.CONFIGMAPS, object("{'metadata':{'name':'c" + i + "','namespace':'default'}}"), WriteOptions.DEFAULT);
        }
        assertThatThrownBy(() -> store.watch(BuiltinTypes.CONFIGMAPS, null, KubeObjects.resourceVersion(first), new Recorder()))
                .isInstanceOf(ApiException.class).hasMessageStartingWith("too old resource version")
                .satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(410));
        long recent = store.resourceVersion() - 3;
        Recorder r = new Recorder();
        store.watch(BuiltinTypes.CONFIGMAPS, null, Long.toString(recent), r);
        assertThat(r.summary()).containsExactly("ADDED c3", "ADDED c4", "ADDED c5");
        assertThat(code(() -> store.watch(BuiltinTypes.CONFIGMAPS, null, Long.toString(store.resourceVersion() + 100), new Recorder())))
                .as("a version from a store that was replaced").isEqualTo(410);
        assertThat(code(() -> store.watch(BuiltinTypes.CONFIGMAPS, null, "abc", new Recorder()))).isEqualTo(400);
    }

    @Test
    void aFailingListenerLosesItsWatchButNotTheWrite() {
        WatchListener broken = event -> {
            if (event.type() == WatchEvent.Type.ADDED) {
                throw new IllegalStateException("listener bug");
            }
        };
        Recorder healthy = new Recorder();
        store.watch(BuiltinTypes.SERVICES, null, Long.toString(store.resourceVersion()), broken);
        store.watch(BuiltinTypes.SERVICES, null, Long.toString(store.resourceVersion()), healthy);
        store.create(BuiltinTypes.SERVICES, service("a", "default"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.SERVICES, service("b", "default"), WriteOptions.DEFAULT);
        assertThat(healthy.summary()).containsExactly("ADDED a", "ADDED b");
        assertThat(store.watchCount()).isEqualTo(1);
    }

    @Test
    void aJournalFailureLeavesEverythingAsItWas() {
        store.close();
        AtomicBoolean failing = new AtomicBoolean();
        StoreJournal flaky = new StoreJournal() {
            @Override
            public Contents load() {
                return Contents.EMPTY;
            }

            @Override
            public void commit(List<WatchEvent> changes, long resourceVersion, long eventFloor) {
                if (failing.get()) {
                    throw new IllegalStateException("disk full");
                }
            }

            @Override
            public void close() {
            }
        };
        store = new MemoryResourceStore(MemoryResourceStore.Options.DEFAULT, flaky);
        store.create(BuiltinTypes.SERVICES, service("a", "default"), WriteOptions.DEFAULT);
        long version = store.resourceVersion();
        Recorder r = new Recorder();
        store.watch(BuiltinTypes.SERVICES, null, Long.toString(version), r);
        failing.set(true);
        assertThat(code(() -> store.create(BuiltinTypes.SERVICES, service("b", "default"), WriteOptions.DEFAULT))).isEqualTo(500);
        assertThat(code(() -> store.delete(BuiltinTypes.SERVICES, "default", "a", Preconditions.NONE, WriteOptions.DEFAULT)))
                .isEqualTo(500);
        assertThat(store.resourceVersion()).isEqualTo(version);
        assertThat(store.list(BuiltinTypes.SERVICES, null).items()).extracting(KubeObjects::name).containsExactly("a");
        assertThat(r.events).isEmpty();
        failing.set(false);
        store.create(BuiltinTypes.SERVICES, service("b", "default"), WriteOptions.DEFAULT);
        assertThat(r.summary()).containsExactly("ADDED b");
    }

    @Test
    void closingEndsWatchesAndRefusesWrites() {
        Recorder r = new Recorder();
        store.watch(BuiltinTypes.SERVICES, null, null, r);
        store.close();
        assertThat(r.closed).isTrue();
        assertThat(code(() -> store.create(BuiltinTypes.SERVICES, service("a", "default"), WriteOptions.DEFAULT))).isEqualTo(503);
    }
}
