package io.kedge.agent.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.LoadBalancerPolicy;
import io.kedge.agent.catalog.LoadBalancerPolicy.HashKey;
import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.catalog.ServiceType;
import io.kedge.agent.config.AgentConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CatalogTranslatorTest {
    static final ServiceKey WEB = ServiceKey.of("default", "web");
    private final CatalogTranslator translator = new CatalogTranslator(AgentConfig.defaults());

    static io.fabric8.kubernetes.api.model.Service web() {
        return new ServiceBuilder().withNewMetadata().withNamespace("default").withName("web").endMetadata()
                .withNewSpec().withClusterIP("198.18.0.10").withClusterIPs("198.18.0.10")
                .addNewPort().withName("http").withPort(80).withNewTargetPort("web").endPort()
                .addNewPort().withName("dns").withPort(53).withProtocol("UDP").withNewTargetPort(5353).endPort()
                .endSpec().build();
    }

    static EndpointSlice slice(String name, String ip, String node, Boolean ready, Boolean serving, Boolean terminating) {
        return new EndpointSliceBuilder().withNewMetadata().withNamespace("default").withName(name)
                .addToLabels("kubernetes.io/service-name", "web").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
                .addNewPort().withName("dns").withPort(5353).withProtocol("UDP").endPort()
                .addNewEndpoint().withAddresses(ip).withNodeName(node).withHostname("h-" + name)
                .withNewConditions().withReady(ready).withServing(serving).withTerminating(terminating).endConditions()
                .withNewTargetRef().withKind("Pod").withNamespace("default").withName("pod-" + name).endTargetRef()
                .endEndpoint().build();
    }

    /** Pods and Nodes reach the translator untyped, as the agent watches them. */
    static GenericKubernetesResource untyped(HasMetadata typed) {
        return new KubernetesSerialization().convertValue(typed, GenericKubernetesResource.class);
    }

    static CatalogTranslator.Inputs inputs(List<io.fabric8.kubernetes.api.model.Service> services, List<EndpointSlice> slices,
                                           List<GenericKubernetesResource> rules) {
        return new CatalogTranslator.Inputs(services, slices, List.of(), List.of(), List.of(), rules, true);
    }

    @Test
    void translatesAClusterIpServiceWithSlices() {
        Catalog c = translator.translate(7, inputs(List.of(web()), List.of(
                slice("a", "198.19.1.10", "n1", true, true, false),
                slice("b", "198.19.2.10", "n2", false, true, true)), List.of()));
        assertThat(c.generation()).isEqualTo(7);
        Service s = c.service(WEB).orElseThrow();
        assertThat(s.type()).isEqualTo(ServiceType.CLUSTER_IP);
        assertThat(s.clusterIPs()).containsExactly("198.18.0.10");
        assertThat(s.ports()).containsExactly(new ServicePort("http", 80, Protocol.TCP, null, "web"),
                new ServicePort("dns", 53, Protocol.UDP, null, "5353"));
        assertThat(s.isProxiable()).isTrue();
        assertThat(s.policy()).isEqualTo(LoadBalancerPolicy.DEFAULT);
        assertThat(c.endpoints(WEB)).extracting(Endpoint::ip, Endpoint::nodeName, Endpoint::ready, Endpoint::terminating)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("198.19.1.10", "n1", true, false),
                        org.assertj.core.groups.Tuple.tuple("198.19.2.10", "n2", false, true));
        Endpoint a = c.endpoints(WEB).stream().filter(e -> e.ip().equals("198.19.1.10")).findFirst().orElseThrow();
        assertThat(a.portFor(s.port("http").orElseThrow())).isEqualTo(8080);
        assertThat(a.hostname()).isEqualTo("h-a");
        assertThat(a.targetName()).isEqualTo("pod-a");
    }

    @Test
    void missingConditionsMeanReadyAndDuplicatesAcrossSlicesCollapse() {
        EndpointSlice unknown = slice("a", "198.19.1.10", "n1", null, null, null);
        EndpointSlice dupNotReady = slice("a2", "198.19.1.10", "n1", false, false, false);
        Catalog c = translator.translate(1, inputs(List.of(web()), List.of(dupNotReady, unknown), List.of()));
        assertThat(c.endpoints(WEB)).hasSize(1);
        assertThat(c.endpoints(WEB).get(0).ready()).isTrue();
        assertThat(c.endpoints(WEB).get(0).serving()).isTrue();
    }

    @Test
    void headlessExternalNameAndSkippedServices() {
        var headless = new ServiceBuilder().withNewMetadata().withNamespace("db").withName("pg").endMetadata()
                .withNewSpec().withClusterIP("None").addNewPort().withName("pg").withPort(5432).endPort().endSpec().build();
        var external = new ServiceBuilder().withNewMetadata().withNamespace("default").withName("ext").endMetadata()
                .withNewSpec().withType("ExternalName").withExternalName("db.example.org").endSpec().build();
        var elsewhere = new ServiceBuilder().withNewMetadata().withNamespace("default").withName("other")
                .addToLabels(CatalogTranslator.EDGEMESH_PROXY_NAME_LABEL, "istio").endMetadata()
                .withNewSpec().withClusterIP("198.18.0.20").addNewPort().withPort(80).endPort().endSpec().build();
        var ours = new ServiceBuilder().withNewMetadata().withNamespace("default").withName("ours")
                .addToLabels(CatalogTranslator.PROXY_NAME_LABEL, "kedge").endMetadata()
                .withNewSpec().withClusterIP("198.18.0.21").addNewPort().withPort(80).endPort().endSpec().build();
        Catalog c = translator.translate(1, inputs(List.of(headless, external, elsewhere, ours), List.of(), List.of()));
        Service pg = c.service(ServiceKey.of("db", "pg")).orElseThrow();
        assertThat(pg.headless()).isTrue();
        assertThat(pg.clusterIPs()).isEmpty();
        assertThat(pg.isProxiable()).isFalse();
        Service ext = c.service(ServiceKey.of("default", "ext")).orElseThrow();
        assertThat(ext.type()).isEqualTo(ServiceType.EXTERNAL_NAME);
        assertThat(ext.externalName()).isEqualTo("db.example.org");
        assertThat(ext.isProxiable()).isFalse();
        assertThat(c.service(ServiceKey.of("default", "other")).orElseThrow().isProxiable()).isFalse();
        assertThat(c.service(ServiceKey.of("default", "ours")).orElseThrow().isProxiable()).isTrue();
        assertThat(c.service(ServiceKey.of("default", "ours")).orElseThrow().ports().get(0).name()).isEmpty();

        CatalogTranslator onlyLabelled = new CatalogTranslator(AgentConfig.EdgeProxy.FILTER_IF_LABEL_DOES_NOT_EXIST, "kedge", "cluster.local");
        Catalog d = onlyLabelled.translate(1, inputs(List.of(web(), elsewhere, ours), List.of(), List.of()));
        assertThat(d.service(WEB).orElseThrow().isProxiable()).isFalse();
        assertThat(d.service(ServiceKey.of("default", "ours")).orElseThrow().isProxiable()).isTrue();
    }

    @Test
    void sessionAffinityAndAnnotations() {
        var svc = new ServiceBuilder(web()).editMetadata()
                .addToAnnotations(PolicyResolver.POLICY_ANNOTATION, "consistent_hash")
                .addToAnnotations(PolicyResolver.HASH_ANNOTATION, "cookie:session;ttl=1h30m").endMetadata()
                .editSpec().withSessionAffinity("ClientIP").withNewSessionAffinityConfig().withNewClientIP().withTimeoutSeconds(600)
                .endClientIP().endSessionAffinityConfig().endSpec().build();
        Service s = translator.translate(1, inputs(List.of(svc), List.of(), List.of())).service(WEB).orElseThrow();
        assertThat(s.sessionAffinity().clientIp()).isTrue();
        assertThat(s.sessionAffinity().timeoutSeconds()).isEqualTo(600);
        assertThat(s.policy()).isEqualTo(new LoadBalancerPolicy(LoadBalancerPolicy.Kind.CONSISTENT_HASH,
                HashKey.cookie("session", Duration.ofMinutes(90)), "annotation"));

        var bad = new ServiceBuilder(web()).editMetadata().addToAnnotations(PolicyResolver.POLICY_ANNOTATION, "FASTEST").endMetadata().build();
        assertThat(translator.translate(1, inputs(List.of(bad), List.of(), List.of())).service(WEB).orElseThrow().policy())
                .as("an unusable annotation falls back to the default").isEqualTo(LoadBalancerPolicy.DEFAULT);
    }

    static GenericKubernetesResource rule(String name, String host, String created, Map<String, Object> lb) {
        return new GenericKubernetesResourceBuilder().withApiVersion("networking.istio.io/v1beta1").withKind("DestinationRule")
                .withNewMetadata().withNamespace("default").withName(name).withCreationTimestamp(created).endMetadata()
                .withAdditionalProperties(Map.of("spec", Map.of("host", host, "trafficPolicy", Map.of("loadBalancer", lb))))
                .build();
    }

    @Test
    void destinationRulesWinOverAnnotationsAndTheOldestRuleWins() {
        var annotated = new ServiceBuilder(web()).editMetadata().addToAnnotations(PolicyResolver.POLICY_ANNOTATION, "RANDOM").endMetadata().build();
        Catalog c = translator.translate(1, inputs(List.of(annotated), List.of(), List.of(
                rule("newer", "web.default.svc.cluster.local", "2026-02-01T00:00:00Z", Map.of("simple", "RANDOM")),
                rule("older", "web", "2026-01-01T00:00:00Z", Map.of("consistentHash", Map.of("httpHeaderName", "x-user"))))));
        assertThat(c.service(WEB).orElseThrow().policy()).isEqualTo(new LoadBalancerPolicy(LoadBalancerPolicy.Kind.CONSISTENT_HASH,
                HashKey.header("x-user"), "destinationrule/default/older"));

        Catalog d = translator.translate(1, inputs(List.of(web()), List.of(), List.of(
                rule("lc", "web.default", "2026-01-01T00:00:00Z", Map.of("simple", "LEAST_CONN")))));
        assertThat(d.service(WEB).orElseThrow().policy().kind()).isEqualTo(LoadBalancerPolicy.Kind.LEAST_REQUEST);

        Catalog e = translator.translate(1, inputs(List.of(web()), List.of(), List.of(
                rule("ip", "web.default.svc", "2026-01-01T00:00:00Z", Map.of("consistentHash", Map.of("useSourceIp", true))))));
        assertThat(e.service(WEB).orElseThrow().policy().hashKey()).isEqualTo(HashKey.sourceIp());

        Catalog other = translator.translate(1, inputs(List.of(web()), List.of(), List.of(
                rule("elsewhere", "web.other.svc.cluster.local", "2026-01-01T00:00:00Z", Map.of("simple", "RANDOM")),
                rule("bogus", "web", "2026-01-01T00:00:00Z", Map.of("simple", "FASTEST")))));
        assertThat(other.service(WEB).orElseThrow().policy()).isEqualTo(LoadBalancerPolicy.DEFAULT);
    }

    @Test
    void endpointsFallbackAndNodeNamesFromPods() {
        var eps = new EndpointsBuilder().withNewMetadata().withNamespace("default").withName("web").endMetadata()
                .addNewSubset()
                .addNewAddress().withIp("198.19.1.10").withNewTargetRef().withKind("Pod").withNamespace("default").withName("p1").endTargetRef().endAddress()
                .addNewNotReadyAddress().withIp("198.19.1.11").withNodeName("n9").endNotReadyAddress()
                .addNewPort().withName("http").withPort(8080).endPort()
                .endSubset().build();
        var pod = new PodBuilder().withNewMetadata().withNamespace("default").withName("p1").endMetadata()
                .withNewSpec().withNodeName("n1").endSpec().build();
        var node = new NodeBuilder().withNewMetadata().withName("n1").addToLabels("zone", "a").endMetadata()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress("100.64.1.11").endAddress()
                .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build();
        Catalog c = translator.translate(1, new CatalogTranslator.Inputs(List.of(web()), List.of(), List.of(eps), List.of(untyped(pod)),
                List.of(untyped(node)), List.of(), false));
        assertThat(c.endpoints(WEB)).extracting(Endpoint::ip, Endpoint::nodeName, Endpoint::ready)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("198.19.1.10", "n1", true),
                        org.assertj.core.groups.Tuple.tuple("198.19.1.11", "n9", false));
        assertThat(c.nodes().get("n1").internalIPs()).containsExactly("100.64.1.11");
        assertThat(c.nodes().get("n1").ready()).isTrue();
    }

    @Test
    void projectionsShareWhatRepeatsAndTheCatalogKeepsThemAsTheyAre() {
        // Distinct String instances, as a JSON parser produces them.
        EndpointSlice a = slice("a", "198.19.1.10", new String("n1"), true, true, false);
        a.getEndpoints().add(new io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder().withAddresses("198.19.1.12")
                .withNodeName(new String("n1")).build());
        EndpointSlice b = slice("b", "198.19.1.11", new String("n1"), true, true, false);
        CatalogTranslator.EndpointGroup ga = CatalogTranslator.endpointGroup(a);
        CatalogTranslator.EndpointGroup gb = CatalogTranslator.endpointGroup(b);
        assertThat(ga.podKeys()).as("every endpoint names its node").isNull();
        assertThat(ga.endpoints()).hasSize(2);
        assertThat(ga.endpoints().get(0).nodeName()).isSameAs(ga.endpoints().get(1).nodeName()).isSameAs(gb.endpoints().get(0).nodeName());
        assertThat(ga.endpoints().get(0).ports()).as("one port map per slice").isSameAs(ga.endpoints().get(1).ports());

        Service web = translator.service(web());
        Catalog c = translator.assemble(3, new CatalogTranslator.Projections(List.of(web), List.of(ga, gb), List.of(), List.of(),
                List.of(), true));
        assertThat(c.service(WEB).orElseThrow()).isSameAs(web);
        assertThat(c.endpoints(WEB)).hasSize(3);
        assertThat(c.endpoints(WEB).get(0)).as("the catalog holds the projected endpoints, not copies").isSameAs(ga.endpoints().get(0));
        assertThat(c).usingRecursiveComparison().isEqualTo(translator.translate(3, inputs(List.of(web()), List.of(a, b), List.of())));
    }

    @Test
    void sliceEndpointsWithoutANodeNameTakeTheirPodsNode() {
        EndpointSlice s = slice("a", "198.19.1.10", null, true, true, false);
        CatalogTranslator.EndpointGroup g = CatalogTranslator.endpointGroup(s);
        assertThat(g.podKeys()).containsExactly("default/pod-a");
        var pod = new PodBuilder().withNewMetadata().withNamespace("default").withName("pod-a").endMetadata()
                .withNewSpec().withNodeName("n7").endSpec().build();
        Catalog placed = translator.assemble(1, new CatalogTranslator.Projections(List.of(translator.service(web())), List.of(g),
                List.of(CatalogTranslator.podPlacement(untyped(pod))), List.of(), List.of(), true));
        assertThat(placed.endpoints(WEB)).extracting(Endpoint::nodeName).containsExactly("n7");
        Catalog unplaced = translator.assemble(1, new CatalogTranslator.Projections(List.of(translator.service(web())), List.of(g),
                List.of(), List.of(), List.of(), true));
        assertThat(unplaced.endpoints(WEB)).extracting(Endpoint::nodeName).containsExactly((String) null);
        assertThat(CatalogTranslator.podPlacement(untyped(new PodBuilder().withNewMetadata().withNamespace("default").withName("p")
                .endMetadata().withNewSpec().endSpec().build()))).as("not scheduled yet").isNull();
    }

    @Test
    void slicesThatGiveNoServiceEndpointsProjectToNothing() {
        EndpointSlice unlabelled = slice("a", "198.19.1.10", "n1", true, true, false);
        unlabelled.getMetadata().setLabels(Map.of());
        EndpointSlice fqdn = slice("b", "db.example.org", "n1", true, true, false);
        fqdn.setAddressType("FQDN");
        EndpointSlice empty = slice("c", "198.19.1.10", "n1", true, true, false);
        empty.setEndpoints(null);
        assertThat(CatalogTranslator.endpointGroup(unlabelled)).isNull();
        assertThat(CatalogTranslator.endpointGroup(fqdn)).isNull();
        assertThat(CatalogTranslator.endpointGroup(empty)).isNull();
    }

    @Test
    void untypedNodesAndPodsWithOddShapesGiveWhatTheyCan() {
        GenericKubernetesResource node = new GenericKubernetesResourceBuilder().withApiVersion("v1").withKind("Node")
                .withNewMetadata().withName("n1").endMetadata()
                .withAdditionalProperties(Map.of("status", Map.of(
                        "addresses", List.of("not a map", Map.of("type", "InternalIP", "address", 7),
                                Map.of("type", "ExternalIP", "address", "192.0.2.7")),
                        "conditions", Map.of("type", "Ready")))).build();
        var n = CatalogTranslator.node(node);
        assertThat(n.name()).isEqualTo("n1");
        assertThat(n.internalIPs()).isEmpty();
        assertThat(n.externalIPs()).containsExactly("192.0.2.7");
        assertThat(n.ready()).isFalse();
        GenericKubernetesResource pod = new GenericKubernetesResourceBuilder().withApiVersion("v1").withKind("Pod")
                .withNewMetadata().withNamespace("default").withName("p").endMetadata()
                .withAdditionalProperties(Map.of("spec", List.of("nodeName"))).build();
        assertThat(CatalogTranslator.podPlacement(pod)).isNull();
        assertThat(CatalogTranslator.node(new GenericKubernetesResource())).isNull();
    }

    @Test
    void aMalformedServiceIsSkippedNotFatal() {
        var broken = new ServiceBuilder().withNewMetadata().withNamespace("default").withName("broken").endMetadata()
                .withNewSpec().withType("Weird").endSpec().build();
        Catalog c = translator.translate(1, inputs(List.of(broken, web()), List.of(), List.of()));
        assertThat(c.services()).containsOnlyKeys(WEB);
    }

    @Test
    void durationsParseLikeIstio() {
        assertThat(PolicyResolver.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(PolicyResolver.parseDuration("1.5h")).isEqualTo(Duration.ofMinutes(90));
        assertThat(PolicyResolver.parseDuration("2m30s")).isEqualTo(Duration.ofSeconds(150));
        assertThat(PolicyResolver.parseDuration("100ms")).isEqualTo(Duration.ofMillis(100));
        assertThat(PolicyResolver.parseDuration("soon")).isNull();
        assertThat(PolicyResolver.parseDuration("10")).isNull();
        assertThat(PolicyResolver.parseHashAnnotation("header: X-User")).isEqualTo(HashKey.header("X-User"));
        assertThat(PolicyResolver.parseHashAnnotation("source-ip")).isEqualTo(HashKey.sourceIp());
        assertThat(PolicyResolver.parseHashAnnotation("cookie:s;ttl=never")).isNull();
        assertThat(PolicyResolver.parseHashAnnotation("header:")).isNull();
    }
}
