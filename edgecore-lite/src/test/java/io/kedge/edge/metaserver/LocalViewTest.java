package io.kedge.edge.metaserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.WatchEvent;
import io.kedge.common.kubeapi.WriteOptions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class LocalViewTest {
    static ObjectNode node(String name, String ready) {
        ObjectNode n = KubeObjects.JSON.createObjectNode();
        n.put("apiVersion", "v1").put("kind", "Node");
        ObjectNode meta = n.putObject("metadata").put("name", name).put("resourceVersion", "912").put("uid", "cloud-uid");
        meta.putArray("finalizers").add("kubernetes");
        n.putObject("status").putArray("conditions").addObject().put("type", "Ready").put("status", ready);
        return n;
    }

    @Test
    void holdsTheCloudsObjectsIncludingStatusAndRefusesWrites() {
        try (LocalView view = new LocalView(100)) {
            view.put(BuiltinTypes.NODES, node("e1", "True"));
            view.put(BuiltinTypes.NODES, node("e1", "False"));
            ObjectNode got = view.get(BuiltinTypes.NODES, null, "e1");
            assertThat(got.at("/status/conditions/0/status").asText()).isEqualTo("False");
            assertThat(got.at("/metadata/finalizers").isMissingNode()).isTrue();
            view.remove(BuiltinTypes.NODES, null, "e1");
            view.remove(BuiltinTypes.NODES, null, "e1"); // idempotent
            assertThatThrownBy(() -> view.get(BuiltinTypes.NODES, null, "e1")).isInstanceOf(ApiException.class)
                    .satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(404));
            assertThatThrownBy(() -> view.create(BuiltinTypes.NODES, node("x", "True"), WriteOptions.DEFAULT))
                    .isInstanceOf(ApiException.class).satisfies(e -> {
                        assertThat(((ApiException) e).code()).isEqualTo(405);
                        assertThat(e.getMessage()).contains("read-only");
                    });
        }
    }

    @Test
    void watchesSeeChangesInOrderAndTooOldVersionsAreGone() {
        try (LocalView view = new LocalView(100)) {
            List<WatchEvent> events = new CopyOnWriteArrayList<>();
            long start = view.resourceVersion();
            view.watch(BuiltinTypes.NODES, null, Long.toString(start), events::add);
            view.put(BuiltinTypes.NODES, node("a", "True"));
            view.put(BuiltinTypes.NODES, node("a", "False"));
            view.remove(BuiltinTypes.NODES, null, "a");
            assertThat(events).extracting(WatchEvent::type).containsSubsequence(WatchEvent.Type.ADDED, WatchEvent.Type.MODIFIED,
                    WatchEvent.Type.DELETED);
            for (int i = 0; i < 150; i++) {
                view.put(BuiltinTypes.NODES, node("n" + i, "True"));
            }
            assertThatThrownBy(() -> view.watch(BuiltinTypes.NODES, null, Long.toString(start), e -> { }))
                    .isInstanceOf(ApiException.class).satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(410));
        }
    }
}
