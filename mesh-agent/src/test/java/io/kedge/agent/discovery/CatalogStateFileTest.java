package io.kedge.agent.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.LoadBalancerPolicy;
import io.kedge.agent.catalog.Node;
import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.catalog.ServiceType;
import io.kedge.agent.catalog.SessionAffinity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The saved catalog: what is read back equals what was saved, with its repeated parts shared. */
class CatalogStateFileTest {
    static final ServiceKey WEB = ServiceKey.of("default", "web");
    static final ServiceKey DB = ServiceKey.of("default", "db");

    @TempDir
    Path dir;

    static Catalog catalog() {
        Service web = new Service(WEB, ServiceType.CLUSTER_IP, List.of("198.18.0.10"), false, null,
                List.of(new ServicePort("http", 80, Protocol.TCP, null, "8080")), SessionAffinity.NONE, LoadBalancerPolicy.DEFAULT,
                true, false);
        Service db = new Service(DB, ServiceType.CLUSTER_IP, List.of("198.18.0.11"), false, null,
                List.of(new ServicePort("pg", 5432, Protocol.TCP, null, "5432")), SessionAffinity.clientIp(60),
                LoadBalancerPolicy.DEFAULT, true, false);
        Map<String, Integer> http = Map.of("http", 8080);
        List<Endpoint> webEndpoints = List.of(
                new Endpoint("198.19.1.10", "node-a", null, "web-1", true, true, false, http),
                new Endpoint("198.19.1.11", "node-a", "h2", "web-2", true, true, false, http),
                new Endpoint("198.19.1.12", "node-b", null, "web-3", false, false, true, http));
        List<Endpoint> dbEndpoints = List.of(new Endpoint("198.19.2.10", "node-b", null, "db-1", true, true, false, Map.of("pg", 5432)));
        Node node = new Node("node-a", List.of("198.51.100.2"), List.of(), true, Map.of("zone", "a"));
        return new Catalog(7, Map.of(WEB, web, DB, db), Map.of(WEB, webEndpoints, DB, dbEndpoints), Map.of("node-a", node));
    }

    @Test
    void readsBackWhatItSavedWithRepeatedPartsShared() {
        CatalogStateFile file = new CatalogStateFile(dir);
        Catalog saved = catalog();
        file.save(saved);

        Catalog loaded = file.load().orElseThrow();

        assertThat(loaded.generation()).isEqualTo(7);
        assertThat(loaded.services()).isEqualTo(saved.services());
        assertThat(loaded.endpoints()).isEqualTo(saved.endpoints());
        assertThat(loaded.nodes()).isEqualTo(saved.nodes());
        List<Endpoint> web = loaded.endpoints(WEB);
        assertThat(web.get(1).ports()).as("one port map per distinct map").isSameAs(web.get(0).ports()).isSameAs(web.get(2).ports());
        assertThat(web.get(0).nodeName()).as("node names interned").isSameAs("node-a");
        assertThat(loaded.endpoints(DB).get(0).nodeName()).isSameAs(web.get(2).nodeName());
        Service webService = loaded.service(WEB).orElseThrow();
        assertThat(webService.policy()).isSameAs(LoadBalancerPolicy.DEFAULT);
        assertThat(webService.sessionAffinity()).isSameAs(SessionAffinity.NONE);
        assertThat(loaded.service(DB).orElseThrow().sessionAffinity()).isEqualTo(SessionAffinity.clientIp(60));
        ServiceKey endpointsKey = loaded.endpoints().keySet().stream().filter(WEB::equals).findFirst().orElseThrow();
        assertThat(endpointsKey).as("the endpoints' key is the Service's").isSameAs(webService.key());
    }

    @Test
    void fieldsItDoesNotKnowAreSkipped() throws Exception {
        Files.writeString(dir.resolve("catalog.json"), """
                {"version": 2, "later": {"nested": [1, {"x": null}]}, "generation": 3,
                 "services": [], "endpoints": {"default/web": []}, "nodes": [], "trailer": "x"}
                """);
        Catalog loaded = new CatalogStateFile(dir).load().orElseThrow();
        assertThat(loaded.generation()).isEqualTo(3);
        assertThat(loaded.services()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "[]",
            "{\"services\": {}}",
            "{\"services\": [null]}",
            "{\"services\": [1]}",
            "{\"endpoints\": []}",
            "{\"endpoints\": {\"default/web\": [null]}}",
            "{\"endpoints\": {\"default/web\": {}}}",
            "{\"endpoints\": {\"no-slash\": []}}",
            "{\"nodes\": [\"n\"]}",
            "{\"generation\": 3, \"services\": [",
            ""})
    void aMalformedFileIsSetAsideNotFatal(String content) throws Exception {
        Files.writeString(dir.resolve("catalog.json"), content);
        CatalogStateFile file = new CatalogStateFile(dir);
        assertThat(file.load()).isEmpty();
        assertThat(Files.exists(dir.resolve("catalog.json.unreadable"))).isTrue();
        assertThat(Files.exists(dir.resolve("catalog.json"))).isFalse();
    }
}
