package io.kedge.cloud.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.WatchEvent;
import io.kedge.common.kubeapi.WatchListener;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.patch.Patch;
import io.kedge.common.kubeapi.patch.PatchType;
import io.kedge.common.kubeapi.store.MemoryResourceStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The standalone store on a real SQLite file: what survives a restart, and how watches resume across one. */
class StandaloneStoreTest {
    @TempDir
    Path dir;
    private MemoryResourceStore store;

    private MemoryResourceStore open(int window) {
        return StandaloneStore.open(new StandaloneStore.Settings(dir, window, false, "198.18.0.0/24", Duration.ofMillis(100)));
    }

    private MemoryResourceStore reopen(int window) {
        store.close();
        store = open(window);
        return store;
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    static ObjectNode json(String text) {
        try {
            return (ObjectNode) KubeObjects.JSON.readTree(text.replace('\'', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static ObjectNode configMap(String name, String value) {
        return json("{'metadata':{'name':'" + name + "','namespace':'default'},'data':{'v':'" + value + "'}}");
    }

    static ObjectNode service(String name, String clusterIP) {
        return json("{'metadata':{'name':'" + name + "','namespace':'default'},'spec':{"
                + (clusterIP == null ? "" : "'clusterIP':'" + clusterIP + "',") + "'selector':{'app':'" + name + "'},'ports':[{'port':80}]}}");
    }

    static final class Recorder implements WatchListener {
        final List<WatchEvent> events = new CopyOnWriteArrayList<>();

        @Override
        public void onEvent(WatchEvent event) {
            events.add(event);
        }

        List<String> summary() {
            return events.stream().map(e -> e.type() + (e.object() == null ? "" : " " + KubeObjects.name(e.object()))).toList();
        }
    }

    @Test
    void objectsUidsAndVersionsSurviveARestart() {
        store = open(1000);
        ObjectNode a = store.create(BuiltinTypes.CONFIGMAPS, configMap("a", "1"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.CONFIGMAPS, configMap("b", "1"), WriteOptions.DEFAULT);
        store.patch(BuiltinTypes.CONFIGMAPS, "default", "a", new Patch(PatchType.MERGE, json("{'data':{'v':'2'}}")), WriteOptions.DEFAULT);
        store.delete(BuiltinTypes.CONFIGMAPS, "default", "b", Preconditions.NONE, WriteOptions.DEFAULT);
        long version = store.resourceVersion();
        ObjectNode before = store.get(BuiltinTypes.CONFIGMAPS, "default", "a");

        reopen(1000);
        assertThat(store.resourceVersion()).isEqualTo(version);
        ObjectNode after = store.get(BuiltinTypes.CONFIGMAPS, "default", "a");
        assertThat(after).isEqualTo(before);
        assertThat(KubeObjects.uid(after)).isEqualTo(KubeObjects.uid(a));
        assertThat(store.list(BuiltinTypes.CONFIGMAPS, "default").items()).extracting(KubeObjects::name).containsExactly("a");
        assertThat(store.list(BuiltinTypes.NAMESPACES, null).items()).hasSize(4);

        ObjectNode c = store.create(BuiltinTypes.CONFIGMAPS, configMap("c", "1"), WriteOptions.DEFAULT);
        assertThat(Long.parseLong(KubeObjects.resourceVersion(c))).as("resourceVersions keep growing across restarts")
                .isGreaterThan(version);
    }

    @Test
    void watchesResumeAcrossARestartInOrder() {
        store = open(1000);
        ObjectNode first = store.create(BuiltinTypes.CONFIGMAPS, configMap("a", "1"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.CONFIGMAPS, configMap("b", "1"), WriteOptions.DEFAULT);
        store.patch(BuiltinTypes.CONFIGMAPS, "default", "a", new Patch(PatchType.MERGE, json("{'data':{'v':'2'}}")), WriteOptions.DEFAULT);
        store.delete(BuiltinTypes.CONFIGMAPS, "default", "b", Preconditions.NONE, WriteOptions.DEFAULT);

        reopen(1000);
        Recorder r = new Recorder();
        store.watch(BuiltinTypes.CONFIGMAPS, null, KubeObjects.resourceVersion(first), r);
        assertThat(r.summary()).containsExactly("ADDED b", "MODIFIED a", "DELETED b");
        assertThat(r.events).extracting(WatchEvent::resourceVersion).isSorted().doesNotHaveDuplicates();
        assertThat(r.events.get(1).previous().at("/data/v").asText()).as("previous states are kept too").isEqualTo("1");
        store.create(BuiltinTypes.CONFIGMAPS, configMap("c", "1"), WriteOptions.DEFAULT);
        assertThat(r.summary()).endsWith("ADDED c");
    }

    @Test
    void aWatchFromBeforeTheRetainedWindowIsGoneAfterARestart() {
        store = open(100);
        ObjectNode first = store.create(BuiltinTypes.CONFIGMAPS, configMap("first", "0"), WriteOptions.DEFAULT);
        for (int i = 0; i < 150; i++) {
            store.create(BuiltinTypes.CONFIGMAPS, configMap("c" + i, "0"), WriteOptions.DEFAULT);
        }
        long recent = store.resourceVersion() - 10;
        reopen(100);
        ApiException gone = catchThrowableOfType(ApiException.class,
                () -> store.watch(BuiltinTypes.CONFIGMAPS, null, KubeObjects.resourceVersion(first), new Recorder()));
        assertThat(gone.code()).isEqualTo(410);
        Recorder r = new Recorder();
        store.watch(BuiltinTypes.CONFIGMAPS, null, Long.toString(recent), r);
        assertThat(r.events).hasSize(10);
        assertThat(store.list(BuiltinTypes.CONFIGMAPS, null).items()).hasSize(151);
    }

    @Test
    void aSecondProcessCannotOpenTheSameDirectory() {
        store = open(1000);
        assertThatThrownBy(() -> open(1000)).isInstanceOf(IllegalStateException.class).hasMessageContaining("in use by another process");
    }

    @Test
    void aDamagedRowIsSkippedNotFatal() throws Exception {
        store = open(1000);
        store.create(BuiltinTypes.CONFIGMAPS, configMap("good", "1"), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.CONFIGMAPS, configMap("bad", "1"), WriteOptions.DEFAULT);
        store.close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteJournal.DATABASE_FILE));
             Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE objects SET body = '{not json' WHERE name = 'bad'");
        }
        store = open(1000);
        assertThat(store.list(BuiltinTypes.CONFIGMAPS, null).items()).extracting(KubeObjects::name).containsExactly("good");
    }

    @Test
    void servicesGetClusterIpsFromTheRangeAndKeepThem() {
        store = open(1000);
        ObjectNode auto = store.create(BuiltinTypes.SERVICES, service("auto", null), WriteOptions.DEFAULT);
        String ip = auto.at("/spec/clusterIP").asText();
        assertThat(ip).startsWith("198.18.0.").isNotEqualTo("198.18.0.0").isNotEqualTo("198.18.0.255");
        assertThat(auto.at("/spec/clusterIPs/0").asText()).isEqualTo(ip);
        // Addresses to ask for: not the one the allocator picked at random for "auto".
        String askedIp = ip.equals("198.18.0.10") ? "198.18.0.20" : "198.18.0.10";
        String otherIp = ip.equals("198.18.0.11") ? "198.18.0.21" : "198.18.0.11";
        ObjectNode asked = store.create(BuiltinTypes.SERVICES, service("asked", askedIp), WriteOptions.DEFAULT);
        assertThat(asked.at("/spec/clusterIP").asText()).isEqualTo(askedIp);
        ObjectNode headless = store.create(BuiltinTypes.SERVICES, service("headless", "None"), WriteOptions.DEFAULT);
        assertThat(headless.at("/spec/clusterIP").asText()).isEqualTo("None");

        assertThat(catchThrowableOfType(ApiException.class,
                () -> store.create(BuiltinTypes.SERVICES, service("dup", askedIp), WriteOptions.DEFAULT)).getMessage())
                .contains("already allocated");
        assertThat(catchThrowableOfType(ApiException.class,
                () -> store.create(BuiltinTypes.SERVICES, service("outside", "198.19.0.10"), WriteOptions.DEFAULT)).code()).isEqualTo(422);

        // An update without clusterIP (kubectl apply of a file that never had one) keeps the allocated one.
        ObjectNode update = service("auto", null);
        ObjectNode updated = store.update(BuiltinTypes.SERVICES, update, WriteOptions.DEFAULT);
        assertThat(updated.at("/spec/clusterIP").asText()).isEqualTo(ip);
        ObjectNode change = service("auto", otherIp);
        assertThat(catchThrowableOfType(ApiException.class, () -> store.update(BuiltinTypes.SERVICES, change, WriteOptions.DEFAULT))
                .getMessage()).contains("immutable");

        reopen(1000);
        ObjectNode another = store.create(BuiltinTypes.SERVICES, service("another", null), WriteOptions.DEFAULT);
        assertThat(another.at("/spec/clusterIP").asText()).isNotIn(ip, askedIp);
    }

    @Test
    void badRangesAreRefused() {
        assertThatThrownBy(() -> new ClusterIpAllocator("198.18.0.1/24")).hasMessageContaining("host bits");
        assertThatThrownBy(() -> new ClusterIpAllocator("198.18.0.0/31")).hasMessageContaining("between 8 and 30");
        assertThatThrownBy(() -> new ClusterIpAllocator("nonsense")).hasMessageContaining("CIDR");
        assertThatThrownBy(() -> new ClusterIpAllocator("300.1.1.0/24")).hasMessageContaining("not an IPv4 address");
    }

    @Test
    void aFullRangeIsAClearError() {
        store = StandaloneStore.open(new StandaloneStore.Settings(dir, 1000, false, "198.18.0.0/30", Duration.ofMillis(100)));
        store.create(BuiltinTypes.SERVICES, service("one", null), WriteOptions.DEFAULT);
        store.create(BuiltinTypes.SERVICES, service("two", null), WriteOptions.DEFAULT);
        ApiException full = catchThrowableOfType(ApiException.class,
                () -> store.create(BuiltinTypes.SERVICES, service("three", null), WriteOptions.DEFAULT));
        assertThat(full.getMessage()).contains("range 198.18.0.0/30 is full");
    }
}
