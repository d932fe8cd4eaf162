package io.kedge.cloud.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ObjectList;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.ResourceStore;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.Watch;
import io.kedge.common.kubeapi.WatchEvent;
import io.kedge.common.kubeapi.WatchListener;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.patch.Patch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's source of truth: a real Kubernetes API, read through fabric8 informers (one per
 * watched kind) and written through the client, behind the same {@link ResourceStore} calls the
 * sync controller and node lifecycle use in standalone mode. Kinds the cluster does not serve (no
 * Device CRDs, no Istio) are skipped with a log line and count as listed.
 *
 * <p>Only what cloudcore-lite needs is implemented: get, list, create, update (and status), and a
 * watch of all namespaces from the current state; the other calls answer 405.
 */
public final class ClusterSource implements ResourceStore {
    private static final Logger log = LoggerFactory.getLogger(ClusterSource.class);

    private final KubernetesClient client;
    private final List<SharedIndexInformer<GenericKubernetesResource>> informers = new CopyOnWriteArrayList<>();

    public ClusterSource(KubernetesClient client) {
        this.client = client;
    }

    static ResourceDefinitionContext context(ResourceType type) {
        return new ResourceDefinitionContext.Builder().withGroup(type.group()).withVersion(type.version()).withKind(type.kind())
                .withPlural(type.plural()).withNamespaced(type.namespaced()).build();
    }

    private MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> ops(ResourceType type) {
        return client.genericKubernetesResources(context(type));
    }

    private NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> scoped(
            ResourceType type, String namespace) {
        return type.namespaced() && namespace != null ? ops(type).inNamespace(namespace) : ops(type);
    }

    static ObjectNode tree(GenericKubernetesResource r) {
        return KubeObjects.JSON.valueToTree(r);
    }

    static GenericKubernetesResource resource(ObjectNode o) {
        return KubeObjects.JSON.convertValue(o, GenericKubernetesResource.class);
    }

    static ApiException translate(KubernetesClientException e) {
        int code = e.getCode() == 0 ? 503 : e.getCode();
        return new ApiException(code, e.getStatus() != null && e.getStatus().getReason() != null ? e.getStatus().getReason() : "Unknown",
                String.valueOf(e.getMessage()));
    }

    @Override
    public ObjectNode get(ResourceType type, String namespace, String name) {
        try {
            GenericKubernetesResource r = scoped(type, namespace).withName(name).get();
            if (r == null) {
                throw ApiException.notFound(type.groupResource(), name);
            }
            return tree(r);
        } catch (KubernetesClientException e) {
            throw translate(e);
        }
    }

    @Override
    public ObjectList list(ResourceType type, String namespace) {
        try {
            GenericKubernetesResourceList l = type.namespaced() && namespace == null ? ops(type).inAnyNamespace().list()
                    : scoped(type, namespace).list();
            List<ObjectNode> items = new ArrayList<>();
            l.getItems().forEach(r -> items.add(tree(r)));
            String rv = l.getMetadata() == null ? null : l.getMetadata().getResourceVersion();
            return new ObjectList(items, rv == null || rv.isEmpty() ? 0 : Long.parseLong(rv));
        } catch (KubernetesClientException e) {
            throw translate(e);
        }
    }

    @Override
    public ObjectNode create(ResourceType type, ObjectNode object, WriteOptions options) {
        try {
            return tree(scoped(type, KubeObjects.namespace(object)).resource(resource(object)).create());
        } catch (KubernetesClientException e) {
            throw translate(e);
        }
    }

    @Override
    public ObjectNode update(ResourceType type, ObjectNode object, WriteOptions options) {
        try {
            Resource<GenericKubernetesResource> r = scoped(type, KubeObjects.namespace(object)).resource(resource(object));
            return tree(options.status() ? r.updateStatus() : r.update());
        } catch (KubernetesClientException e) {
            throw translate(e);
        }
    }

    @Override
    public ObjectNode patch(ResourceType type, String namespace, String name, Patch patch, WriteOptions options) {
        throw ApiException.methodNotAllowed("cluster mode does not patch through cloudcore-lite");
    }

    @Override
    public ObjectNode delete(ResourceType type, String namespace, String name, Preconditions preconditions, WriteOptions options) {
        throw ApiException.methodNotAllowed("cluster mode does not delete through cloudcore-lite");
    }

    /** Whether the cluster serves {@code type} (a CRD may be missing). */
    boolean served(ResourceType type) {
        try {
            if (type.namespaced()) {
                ops(type).inAnyNamespace().list(new ListOptionsBuilder().withLimit(1L).build());
            } else {
                ops(type).list(new ListOptionsBuilder().withLimit(1L).build());
            }
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /** Informs {@code listener} of every object (ADDED), then a BOOKMARK ending the initial events, then changes. */
    @Override
    public Watch watch(ResourceType type, String namespace, String resourceVersion, WatchListener listener) {
        boolean served;
        try {
            served = served(type);
        } catch (KubernetesClientException e) {
            log.warn("cannot list {} ({}); retrying through the informer", type.plural(), e.getMessage());
            served = true;
        }
        if (!served) {
            log.info("the cluster does not serve {}.{}: not syncing it", type.plural(), type.group());
            listener.onEvent(WatchEvent.bookmark(type.groupResource(), 0, true));
            return watchHandle(null);
        }
        SharedIndexInformer<GenericKubernetesResource> informer = (type.namespaced() ? ops(type).inAnyNamespace() : ops(type))
                .runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource obj) {
                deliver(WatchEvent.Type.ADDED, obj, null);
            }

            @Override
            public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
                deliver(WatchEvent.Type.MODIFIED, newObj, oldObj);
            }

            @Override
            public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
                deliver(WatchEvent.Type.DELETED, obj, null);
            }

            private void deliver(WatchEvent.Type kind, GenericKubernetesResource obj, GenericKubernetesResource previous) {
                String rv = obj.getMetadata() == null ? null : obj.getMetadata().getResourceVersion();
                long version;
                try {
                    version = Long.parseLong(rv);
                } catch (NumberFormatException e) {
                    log.warn("{} {} has a non-numeric resourceVersion \"{}\": dropped", type.kind(), obj.getMetadata().getName(), rv);
                    return;
                }
                listener.onEvent(WatchEvent.change(kind, type.groupResource(), version, tree(obj), previous == null ? null : tree(previous)));
            }
        });
        informers.add(informer);
        informer.start().whenComplete((ok, failure) -> {
            if (failure == null) {
                listener.onEvent(WatchEvent.bookmark(type.groupResource(), 0, true));
            } else {
                log.warn("the informer of {} did not sync: {}", type.plural(), failure.toString());
            }
        });
        return watchHandle(informer);
    }

    private Watch watchHandle(SharedIndexInformer<GenericKubernetesResource> informer) {
        return new Watch() {
            @Override
            public void bookmark() {
            }

            @Override
            public void close() {
                if (informer != null) {
                    informer.stop();
                    informers.remove(informer);
                }
            }
        };
    }

    @Override
    public long resourceVersion() {
        return 0;
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::stop);
        informers.clear();
        client.close();
    }
}
