package io.kedge.cloud.reliablesync;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * KubeEdge's reliable-sync resources ({@code reliablesyncs.kubeedge.io/v1alpha1}): ObjectSync for
 * namespaced objects (in the object's namespace), ClusterObjectSync for cluster-scoped ones. Whether
 * the cluster serves them (discovery), and installing their CRDs (shipped in {@code /crds/}).
 */
public final class ReliableSyncCrds {
    public static final String GROUP = "reliablesyncs.kubeedge.io";
    public static final String VERSION = "v1alpha1";
    public static final String API_VERSION = GROUP + "/" + VERSION;

    public static final ResourceDefinitionContext OBJECT_SYNC = new ResourceDefinitionContext.Builder().withGroup(GROUP)
            .withVersion(VERSION).withKind("ObjectSync").withPlural("objectsyncs").withNamespaced(true).build();
    public static final ResourceDefinitionContext CLUSTER_OBJECT_SYNC = new ResourceDefinitionContext.Builder().withGroup(GROUP)
            .withVersion(VERSION).withKind("ClusterObjectSync").withPlural("clusterobjectsyncs").withNamespaced(false).build();

    /** The CRD manifests on the classpath, as shipped. */
    public static final List<String> MANIFESTS = List.of("/crds/reliablesyncs.kubeedge.io_objectsyncs.yaml",
            "/crds/reliablesyncs.kubeedge.io_clusterobjectsyncs.yaml");

    private ReliableSyncCrds() {
    }

    /** Whether the cluster serves both kinds (API discovery); a discovery failure other than 404 propagates. */
    public static boolean served(KubernetesClient client) {
        APIResourceList list = client.getApiResources(API_VERSION);
        if (list == null || list.getResources() == null) {
            return false;
        }
        Set<String> plurals = new HashSet<>();
        for (APIResource r : list.getResources()) {
            plurals.add(r.getName());
        }
        return plurals.contains(OBJECT_SYNC.getPlural()) && plurals.contains(CLUSTER_OBJECT_SYNC.getPlural());
    }

    /** The shipped CRDs. */
    public static List<CustomResourceDefinition> definitions(KubernetesClient client) {
        return MANIFESTS.stream().map(path -> {
            try (InputStream in = ReliableSyncCrds.class.getResourceAsStream(path)) {
                if (in == null) {
                    throw new IllegalStateException(path + " is missing from the classpath");
                }
                return client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList();
    }

    /**
     * Creates (or updates) both CRDs and waits, at most {@code wait}, until discovery serves them.
     *
     * @throws IllegalStateException when they are not served in time
     */
    public static void install(KubernetesClient client, Duration wait) throws InterruptedException {
        for (CustomResourceDefinition crd : definitions(client)) {
            client.apiextensions().v1().customResourceDefinitions().resource(crd).createOr(NonDeletingOperation::update);
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (!served(client)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("installed the CRDs of " + API_VERSION + " but the cluster does not serve them after "
                        + wait.toSeconds() + " s");
            }
            Thread.sleep(200);
        }
    }
}
