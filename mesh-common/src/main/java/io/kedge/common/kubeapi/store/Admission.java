package io.kedge.common.kubeapi.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ResourceStore;
import io.kedge.common.kubeapi.ResourceType;

/**
 * A step every write passes before it is stored, like the API server's defaulting and admission:
 * it may complete the object (defaults, an allocated ClusterIP) or refuse it with an
 * {@link io.kedge.common.kubeapi.ApiException}. Runs under the store's write lock, so what it reads
 * from {@code store} cannot change until the write is done (allocations do not race).
 */
@FunctionalInterface
public interface Admission {
    /**
     * @param object the object about to be stored (modifiable)
     * @param stored the current object on update, null on create
     */
    void admit(ResourceType type, ObjectNode object, ObjectNode stored, ResourceStore store);
}
