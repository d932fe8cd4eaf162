package io.kedge.edge.meta;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.KubeObjects;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetaStoreTest {
    @TempDir
    Path dir;

    static MetaStore.Change upsert(String name, String rv) {
        ObjectNode o = KubeObjects.JSON.createObjectNode();
        o.putObject("metadata").put("name", name).put("namespace", "default").put("resourceVersion", rv);
        return new MetaStore.Change("default/service/" + name, "service", "default", name, rv, false, o);
    }

    static MetaStore.Change delete(String name, String rv) {
        return new MetaStore.Change("default/service/" + name, "service", "default", name, rv, true, null);
    }

    @Test
    void changesApplyOnlyInVersionOrderAndDeletedObjectsStayDeletedAcrossRestarts() {
        try (MetaStore store = new MetaStore(dir)) {
            assertThat(store.apply(List.of(upsert("a", "5")))).containsExactly(true);
            assertThat(store.apply(List.of(upsert("a", "5"), upsert("a", "3")))).containsExactly(false, false); // repeat, older
            assertThat(store.apply(List.of(upsert("a", "10")))).containsExactly(true); // 10 > 5 as numbers
            assertThat(store.apply(List.of(delete("a", "9")))).containsExactly(false); // older than what is stored
            assertThat(store.apply(List.of(delete("a", "11"), upsert("b", "12")))).containsExactly(true, true);
            assertThat(store.apply(List.of(upsert("a", "10")))).containsExactly(false); // no resurrection by a late upsert
            assertThat(store.apply(List.of(delete("never-seen", "4")))).containsExactly(true); // tombstone for an unknown object
            assertThat(store.apply(List.of(upsert("never-seen", "3")))).containsExactly(false);
        }
        try (MetaStore reopened = new MetaStore(dir)) {
            assertThat(reopened.live()).extracting(MetaStore.Stored::path).containsExactly("default/service/b");
            assertThat(reopened.apply(List.of(upsert("a", "10")))).containsExactly(false);
            assertThat(reopened.apply(List.of(upsert("a", "13")))).containsExactly(true); // re-created later in the cloud
            assertThat(reopened.count()).isEqualTo(2);
        }
    }
}
