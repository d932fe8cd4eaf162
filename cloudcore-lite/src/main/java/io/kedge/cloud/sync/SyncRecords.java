package io.kedge.cloud.sync;

import java.util.List;
import java.util.Map;

/**
 * Per (node, object UID): the last resourceVersion the node acknowledged, and where the object lives,
 * so that only newer versions are sent and a delete can be sent for an object that vanished while the
 * node was away (KubeEdge's ObjectSync / ClusterObjectSync). {@link SqliteSyncRecords} keeps them in
 * SQLite (standalone mode); {@code io.kedge.cloud.reliablesync.ObjectSyncRecords} in the cluster's
 * ObjectSync resources (cluster mode).
 *
 * <p>The sync controller calls these from its one thread; {@link #apply} must not block on a remote
 * store (delivery must not wait for the records).
 */
public interface SyncRecords extends AutoCloseable {
    /** What a node has acknowledged of one object. */
    record Acked(String kubeEdgeType, String namespace, String name, String resourceVersion) {
    }

    /**
     * A change to record: an acknowledged upsert ({@code acked != null}) or an acknowledged delete.
     * {@code previous}: the record this change replaces or removes, when known (tells a remote store
     * whether the record exists and where).
     */
    record Change(String node, String uid, Acked acked, Acked previous) {
        public Change(String node, String uid, Acked acked) {
            this(node, uid, acked, null);
        }

        public boolean isDelete() {
            return acked == null;
        }
    }

    /** Everything {@code node} has acknowledged, by UID (including changes applied and not yet stored). */
    Map<String, Acked> forNode(String node);

    /** Records a batch of changes (in order; a later change of the same record wins). */
    void apply(List<Change> changes);

    /** How many records exist (for metrics; may be an estimate, -1 when unknown). */
    long count();

    @Override
    void close();
}
