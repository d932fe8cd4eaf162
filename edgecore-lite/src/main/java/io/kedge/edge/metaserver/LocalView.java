package io.kedge.edge.metaserver;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ObjectList;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.ResourceStore;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.Watch;
import io.kedge.common.kubeapi.WatchListener;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.patch.Patch;
import io.kedge.common.kubeapi.store.MemoryResourceStore;
import io.kedge.common.kubeapi.store.StoreJournal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * What the metaServer serves: an in-memory store filled from the node's SQLite copy at start and fed
 * with every change the MetaManager commits, so watches see them in commit order. Its resourceVersions
 * are its own (a local counter; after a restart clients relist, as after any API server restart).
 * Clients may not write: the node's copy follows the cloud, so writes get 405 with a Status that says
 * where to write.
 */
public final class LocalView implements ResourceStore {
    private final MemoryResourceStore store;

    public LocalView(int eventWindow) {
        // No admission: objects arrive already defaulted and validated by the cloud.
        store = new MemoryResourceStore(new MemoryResourceStore.Options(eventWindow, true, Duration.ZERO, List.of(), Clock.systemUTC()),
                StoreJournal.NONE);
    }

    /** Makes the view hold {@code object} (as the cloud has it). */
    public void put(ResourceType type, ObjectNode object) {
        ObjectNode copy = object.deepCopy();
        ObjectNode meta = KubeObjects.metadata(copy);
        meta.remove("resourceVersion");
        // Deletion is the cloud's business: here an object is either present or gone.
        meta.remove("finalizers");
        meta.remove("deletionTimestamp");
        meta.remove("deletionGracePeriodSeconds");
        String ns = type.namespaced() ? KubeObjects.namespace(copy) : null;
        String name = KubeObjects.name(copy);
        ObjectNode existing;
        try {
            existing = store.get(type, ns, name);
        } catch (ApiException e) {
            if (e.code() != 404) {
                throw e;
            }
            existing = null;
        }
        if (existing == null) {
            store.create(type, copy, WriteOptions.DEFAULT);
            return;
        }
        store.update(type, copy, WriteOptions.DEFAULT);
        if (type.statusSubresource() && copy.has("status")) {
            store.update(type, copy, WriteOptions.STATUS);
        }
    }

    /** Makes the view not hold the object. */
    public void remove(ResourceType type, String namespace, String name) {
        try {
            store.delete(type, type.namespaced() ? namespace : null, name, Preconditions.NONE, WriteOptions.DEFAULT);
        } catch (ApiException e) {
            if (e.code() != 404 && e.code() != 403) {
                throw e;
            }
        }
    }

    public long objectCount() {
        return store.counts().values().stream().mapToLong(Integer::longValue).sum();
    }

    // ---- the read side of ResourceStore ----

    @Override
    public ObjectNode get(ResourceType type, String namespace, String name) {
        return store.get(type, namespace, name);
    }

    @Override
    public ObjectList list(ResourceType type, String namespace) {
        return store.list(type, namespace);
    }

    @Override
    public Watch watch(ResourceType type, String namespace, String resourceVersion, WatchListener listener) {
        return store.watch(type, namespace, resourceVersion, listener);
    }

    @Override
    public long resourceVersion() {
        return store.resourceVersion();
    }

    // ---- writes are refused ----

    private static ApiException readOnly() {
        return ApiException.methodNotAllowed("the metaServer serves this edge node's copy of the cluster read-only: "
                + "write through the cloud's Kubernetes API");
    }

    @Override
    public ObjectNode create(ResourceType type, ObjectNode object, WriteOptions options) {
        throw readOnly();
    }

    @Override
    public ObjectNode update(ResourceType type, ObjectNode object, WriteOptions options) {
        throw readOnly();
    }

    @Override
    public ObjectNode patch(ResourceType type, String namespace, String name, Patch patch, WriteOptions options) {
        throw readOnly();
    }

    @Override
    public ObjectNode delete(ResourceType type, String namespace, String name, Preconditions preconditions, WriteOptions options) {
        throw readOnly();
    }

    @Override
    public void close() {
        store.close();
    }
}
