package io.kedge.agent.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class CatalogTest {
    static final ServiceKey WEB = ServiceKey.of("default", "web");

    static Service service(boolean publishNotReady) {
        return new Service(WEB, ServiceType.CLUSTER_IP, List.of("198.18.0.10"), false, null,
                List.of(new ServicePort("http", 80, Protocol.TCP, null, "8080")), null, null, true, publishNotReady);
    }

    static Endpoint ep(String ip, boolean ready, boolean serving, boolean terminating) {
        return new Endpoint(ip, "n1", null, null, ready, serving, terminating, Map.of("http", 8080));
    }

    @Test
    void usableEndpointsPreferReadyThenTerminatingServing() {
        Catalog c = new Catalog(1, Map.of(WEB, service(false)), Map.of(WEB, List.of(
                ep("198.18.1.1", true, true, false), ep("198.18.1.2", false, true, true), ep("198.18.1.3", false, false, false))), Map.of());
        assertThat(c.usableEndpoints(WEB)).extracting(Endpoint::ip).containsExactly("198.18.1.1");

        Catalog draining = new Catalog(2, Map.of(WEB, service(false)), Map.of(WEB, List.of(
                ep("198.18.1.2", false, true, true), ep("198.18.1.3", false, false, false))), Map.of());
        assertThat(draining.usableEndpoints(WEB)).extracting(Endpoint::ip).containsExactly("198.18.1.2");

        Catalog publishing = new Catalog(3, Map.of(WEB, service(true)), Map.of(WEB, List.of(
                ep("198.18.1.3", false, false, false))), Map.of());
        assertThat(publishing.usableEndpoints(WEB)).extracting(Endpoint::ip).containsExactly("198.18.1.3");
    }

    @Test
    void indexesByClusterIpAndEndpointIp() {
        Catalog c = new Catalog(1, Map.of(WEB, service(false)), Map.of(WEB, List.of(ep("198.18.1.1", true, true, false))), Map.of());
        assertThat(c.serviceByClusterIP("198.18.0.10")).map(Service::key).hasValue(WEB);
        assertThat(c.serviceByClusterIP("198.18.0.11")).isEmpty();
        assertThat(c.endpointsByIP("198.18.1.1")).hasSize(1);
        assertThat(c.endpoints(ServiceKey.of("default", "none"))).isEmpty();
        assertThat(service(false).port("http").orElseThrow().isHttp()).isTrue();
        assertThat(c.endpoints(WEB).get(0).portFor(service(false).ports().get(0))).isEqualTo(8080);
    }

    @Test
    void storeNotifiesListenersWithTheNewestSnapshot() {
        try (CatalogStore store = new CatalogStore()) {
            List<Long> seen = new CopyOnWriteArrayList<>();
            store.listen(c -> seen.add(c.generation()));
            for (int i = 0; i < 50; i++) {
                store.update(c -> c.with(Map.of(WEB, service(false)), Map.of(), Map.of()));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> !seen.isEmpty() && seen.get(seen.size() - 1) == 50L);
            assertThat(seen.get(0)).isZero(); // the initial call with the empty catalog
            assertThat(seen).isSorted();
        }
    }
}
