package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.Node;
import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.ServiceKey;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CatalogTargetsTest {
    @Test
    void onlyThisNodesEndpointsAndAddressesMayBeDialed() {
        Endpoint mine = endpoint("100.64.1.20", "n1");
        Endpoint theirs = endpoint("100.64.1.30", "n2");
        Catalog c = Catalog.EMPTY.with(Map.of(), Map.of(new ServiceKey("default", "web"), List.of(mine, theirs)),
                Map.of("n1", new Node("n1", List.of("100.64.1.11"), List.of(), true, Map.of())));
        CatalogTargets targets = new CatalogTargets("n1", () -> c);
        assertThat(targets.refusal(Protocol.TCP, new InetSocketAddress("100.64.1.20", 8080))).isNull();
        assertThat(targets.refusal(Protocol.UDP, new InetSocketAddress("100.64.1.11", 53))).isNull();
        assertThat(targets.refusal(Protocol.TCP, new InetSocketAddress("100.64.1.30", 8080))).contains("no endpoint of node n1");
        assertThat(targets.refusal(Protocol.TCP, new InetSocketAddress("198.51.100.1", 80))).isNotNull();
    }

    private static Endpoint endpoint(String ip, String node) {
        return new Endpoint(ip, node, null, null, true, true, false, Map.of());
    }
}
