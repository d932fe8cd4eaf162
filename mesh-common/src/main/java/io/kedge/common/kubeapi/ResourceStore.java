package io.kedge.common.kubeapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.patch.Patch;

/**
 * Where the objects behind a Kubernetes-compatible API live. The HTTP layer
 * ({@code io.kedge.common.kubeapi.server.KubeApiServer}) turns requests into these calls and their
 * {@link ApiException}s into Status answers, so an implementation only keeps objects: an in-memory
 * store with a journal (the standalone cloud store), a read-only view of an edge node's cache, or a
 * store that forwards writes elsewhere (such a store throws {@code 405 MethodNotAllowed} or forwards).
 *
 * <p>Rules every implementation keeps:
 * <ul>
 *   <li>Objects are Jackson trees; what a method returns belongs to the caller (a copy).</li>
 *   <li>{@code namespace} is null for cluster-scoped types; for {@link #list} and {@link #watch} of a
 *       namespaced type, null means all namespaces.</li>
 *   <li>resourceVersions are decimal strings of one global counter that only grows.</li>
 *   <li>Updates and patches carrying {@code metadata.resourceVersion} fail with 409 Conflict when it
 *       is not the stored one; without it they apply unconditionally.</li>
 *   <li>Errors are {@link ApiException}s: 404 NotFound, 409 AlreadyExists/Conflict, 410 Expired,
 *       422 Invalid, 400 BadRequest ...</li>
 * </ul>
 */
public interface ResourceStore extends AutoCloseable {

    ObjectNode get(ResourceType type, String namespace, String name);

    /** Every object of the type (in the namespace, or all namespaces), sorted by namespace and name. */
    ObjectList list(ResourceType type, String namespace);

    /** Stores a new object; metadata.namespace, when the type is namespaced, is already set by the caller. */
    ObjectNode create(ResourceType type, ObjectNode object, WriteOptions options);

    /** Replaces an object (or only its status, with {@link WriteOptions#status()}). */
    ObjectNode update(ResourceType type, ObjectNode object, WriteOptions options);

    /** Applies {@code patch} to the current object atomically. */
    ObjectNode patch(ResourceType type, String namespace, String name, Patch patch, WriteOptions options);

    /**
     * Deletes an object and returns its last state. An object with finalizers is only marked
     * (metadata.deletionTimestamp) and goes once an update empties its finalizers.
     */
    ObjectNode delete(ResourceType type, String namespace, String name, Preconditions preconditions, WriteOptions options);

    /**
     * Streams changes of the type (in the namespace, or all) to {@code listener}, in commit order.
     * {@code resourceVersion} follows Kubernetes: null, "" or "0" first delivers every current object
     * as ADDED, then a BOOKMARK marked {@link WatchEvent#initialEventsEnd()}, then live changes; a
     * number delivers every change after it, or fails with 410 Gone when changes after it are no longer
     * retained. The listener is called from the writer's thread and must not block.
     */
    Watch watch(ResourceType type, String namespace, String resourceVersion, WatchListener listener);

    /** The newest resourceVersion of the store. */
    long resourceVersion();

    @Override
    default void close() {
    }
}
