package io.kedge.cloud.sync;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeedge.Operations;
import io.kedge.common.kubeedge.ResourceVersions;

/**
 * One object state to deliver to a node: an upsert ({@code insert} or {@code update}) of the object at
 * {@code resourceVersion}, or its {@code delete}, whose version is that of the deletion.
 *
 * @param uid             the object's UID (what queues coalesce by)
 * @param operation       insert, update or delete
 * @param kubeEdgeType    the type's KubeEdge name (resource paths)
 * @param body            the object (its last state for deletes)
 */
public record SyncItem(String uid, String operation, ResourceType type, String kubeEdgeType, String namespace, String name,
                       String resourceVersion, ObjectNode body) {

    public boolean isDelete() {
        return Operations.DELETE.equals(operation);
    }

    /** Whether this state supersedes {@code other} of the same object (a later version; a delete wins a tie). */
    public boolean supersedes(SyncItem other) {
        int c = ResourceVersions.compare(resourceVersion, other.resourceVersion);
        return c > 0 || (c == 0 && isDelete() && !other.isDelete());
    }

    /** The edge-side resource path, {@code <namespace>/<type>/<name>}. */
    public String path() {
        return (namespace == null ? "null" : namespace) + "/" + kubeEdgeType + "/" + name;
    }

    public SyncItem withOperation(String op) {
        return new SyncItem(uid, op, type, kubeEdgeType, namespace, name, resourceVersion, body);
    }
}
