package io.kedge.cloud.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.store.MemoryResourceStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class NodeLifecycleTest {
    static final class MovableClock extends Clock {
        volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static String ready(MemoryResourceStore store, String node) {
        for (JsonNode c : store.get(BuiltinTypes.NODES, null, node).path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready")) {
                return c.path("status").asText();
            }
        }
        return null;
    }

    static boolean exists(MemoryResourceStore store, String node) {
        return store.list(BuiltinTypes.NODES, null).items().stream().anyMatch(n -> n.path("metadata").path("name").asText().equals(node));
    }

    @Test
    void aNodeIsRegisteredReadyWhileHeardFromAndNotReadyAfterTheGracePeriodAlsoAcrossARestart() {
        MemoryResourceStore store = MemoryResourceStore.inMemory();
        MovableClock clock = new MovableClock();
        try (NodeLifecycle lifecycle = new NodeLifecycle(store, Duration.ofSeconds(40), Duration.ofMinutes(5), clock, new PrometheusRegistry())) {
            lifecycle.start();
            lifecycle.connected("e1", "198.51.100.7");
            await().atMost(Duration.ofSeconds(10)).until(() -> exists(store, "e1") && "True".equals(ready(store, "e1")));
            assertThat(store.get(BuiltinTypes.NODES, null, "e1").path("status").path("addresses").get(0).path("address").asText())
                    .isEqualTo("198.51.100.7");
            clock.now = clock.now.plusSeconds(30);
            lifecycle.heartbeat("e1");
            clock.now = clock.now.plusSeconds(30); // 30 s since the last heartbeat: still within grace
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> "True".equals(ready(store, "e1")));
            clock.now = clock.now.plusSeconds(15);
            await().atMost(Duration.ofSeconds(10)).until(() -> "False".equals(ready(store, "e1")));
            lifecycle.heartbeat("e1");
            await().atMost(Duration.ofSeconds(10)).until(() -> "True".equals(ready(store, "e1")));
        }
        // cloudcore-lite restarts; e1 never comes back: it goes NotReady after the grace period
        try (NodeLifecycle again = new NodeLifecycle(store, Duration.ofSeconds(40), Duration.ofMinutes(5), clock, new PrometheusRegistry())) {
            again.start();
            clock.now = clock.now.plusSeconds(41);
            await().atMost(Duration.ofSeconds(10)).until(() -> "False".equals(ready(store, "e1")));
        }
    }
}
