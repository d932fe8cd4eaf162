package io.kedge.agent.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.LoadBalancerPolicy;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Projections keep the served catalog's equal instances, and only those. */
class SharedPartsTest {
    static final ServiceKey WEB = CatalogStateFileTest.WEB;

    static List<Endpoint> endpoints(int n) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new Endpoint("198.19." + (i / 250) + "." + (i % 250 + 1), "node-a", null, "web-" + i, true, true, false,
                    Map.of("http", 8080)));
        }
        return list;
    }

    /** Equal copies: new objects with the same content. */
    static List<Endpoint> copies(List<Endpoint> list) {
        return list.stream().map(e -> new Endpoint(new String(e.ip()), e.nodeName(), e.hostname(), e.targetName(), e.ready(),
                e.serving(), e.terminating(), Map.copyOf(new java.util.HashMap<>(e.ports())))).toList();
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 32, 33, 500}) // searched linearly, and indexed
    void equalEndpointsAreTheServedOnesOthersStayAsProjected(int held) {
        List<Endpoint> served = endpoints(held);
        Catalog current = new Catalog(1, Map.of(), Map.of(WEB, served), Map.of());
        List<Endpoint> projected = new ArrayList<>(copies(served.subList(0, 2)));
        Endpoint changed = new Endpoint(served.get(2).ip(), "node-b", null, "web-2", true, true, false, Map.of("http", 8080));
        projected.add(changed);
        ServiceKey key = ServiceKey.of(new String("default"), new String("web"));

        CatalogTranslator.EndpointGroup group = SharedParts.reuse(new CatalogTranslator.EndpointGroup(key, projected, null), current);

        assertThat(group.endpoints()).isEqualTo(projected);
        assertThat(group.endpoints().get(0)).isSameAs(served.get(0));
        assertThat(group.endpoints().get(1)).isSameAs(served.get(1));
        assertThat(group.endpoints().get(2)).isSameAs(changed);
        assertThat(group.service()).as("no Service held: the projected key stays").isSameAs(key);
    }

    @Test
    void theKeyIsTheServedServicesAndAServiceIsReusedOnlyWhenEqual() {
        Catalog saved = CatalogStateFileTest.catalog();
        Service web = saved.service(WEB).orElseThrow();
        Service copy = new Service(ServiceKey.of("default", "web"), web.type(), web.clusterIPs(), web.headless(),
                web.externalName(), web.ports(), web.sessionAffinity(), web.policy(), web.proxied(), web.publishNotReadyAddresses());
        assertThat(SharedParts.reuse(copy, saved)).isSameAs(web);
        Service otherPolicy = copy.withPolicy(new LoadBalancerPolicy(LoadBalancerPolicy.Kind.RANDOM, null, "annotation"));
        assertThat(SharedParts.reuse(otherPolicy, saved)).isSameAs(otherPolicy);
        assertThat(SharedParts.reuse((Service) null, saved)).isNull();

        CatalogTranslator.EndpointGroup group = SharedParts.reuse(
                new CatalogTranslator.EndpointGroup(ServiceKey.of("default", "web"), copies(saved.endpoints(WEB)), null), saved);
        assertThat(group.service()).isSameAs(web.key());
        assertThat(group.endpoints()).containsExactlyElementsOf(saved.endpoints(WEB));
        for (int i = 0; i < group.endpoints().size(); i++) {
            assertThat(group.endpoints().get(i)).isSameAs(saved.endpoints(WEB).get(i));
        }
    }

    @Test
    void aServiceTheCatalogDoesNotHoldIsLeftAlone() {
        CatalogTranslator.EndpointGroup group = new CatalogTranslator.EndpointGroup(ServiceKey.of("default", "new"), endpoints(2), null);
        assertThat(SharedParts.reuse(group, CatalogStateFileTest.catalog())).isSameAs(group);
        assertThat(SharedParts.reuse((CatalogTranslator.EndpointGroup) null, CatalogStateFileTest.catalog())).isNull();
    }
}
