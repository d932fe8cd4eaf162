package io.kedge.agent.testing;

import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;

/**
 * fabric8's mock API server in CRUD mode, with the discovery answers the agent asks for
 * (EndpointSlices available; optionally Istio DestinationRules) so that it behaves like a small
 * real cluster. Test-only.
 */
public final class MockApi implements AutoCloseable {
    public static final CustomResourceDefinitionContext DESTINATION_RULES = new CustomResourceDefinitionContext.Builder()
            .withGroup("networking.istio.io").withVersion("v1beta1").withKind("DestinationRule").withPlural("destinationrules")
            .withScope("Namespaced").build();

    private final KubernetesMockServer server;

    public MockApi(String bindAddress, int port, boolean withDestinationRules) {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        server = new KubernetesMockServer(new Context(), new MockWebServer(), responses, new KubernetesMixedDispatcher(responses), false);
        try {
            server.init(InetAddress.getByName(bindAddress), port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.expect().get().withPath("/apis/discovery.k8s.io/v1")
                .andReturn(200, new APIResourceListBuilder().withGroupVersion("discovery.k8s.io/v1")
                        .addToResources(new APIResourceBuilder().withName("endpointslices").withKind("EndpointSlice")
                                .withNamespaced(true).withVerbs("get", "list", "watch").build()).build())
                .always();
        if (withDestinationRules) {
            server.expectCustomResource(DESTINATION_RULES);
            server.expect().get().withPath("/apis/networking.istio.io/v1beta1")
                    .andReturn(200, new APIResourceListBuilder().withGroupVersion("networking.istio.io/v1beta1")
                            .addToResources(new APIResourceBuilder().withName("destinationrules").withKind("DestinationRule")
                                    .withNamespaced(true).withVerbs("get", "list", "watch").build()).build())
                    .always();
        }
    }

    public int port() {
        return server.getPort();
    }

    public String url() {
        return "http://" + server.getHostName() + ":" + server.getPort();
    }

    /** A client talking to this server directly. */
    public KubernetesClient client() {
        return new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(
                io.fabric8.kubernetes.client.Config.empty()).withMasterUrl(url()).build()).build();
    }

    @Override
    public void close() {
        server.destroy();
    }
}
