package io.kedge.common.kubeapi.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.GroupResource;
import io.kedge.common.kubeapi.WatchEvent;
import java.util.List;

/**
 * Durability for a {@link MemoryResourceStore}: the store keeps every object in memory and writes
 * each change through its journal before making it visible. A journal must apply a commit
 * atomically (all of it or none) and give back, at load, exactly what it committed.
 */
public interface StoreJournal extends AutoCloseable {

    /** One stored object and the group/resource it belongs to. */
    record StoredObject(GroupResource resource, ObjectNode object) {
    }

    /**
     * What a journal holds: the last resourceVersion handed out, every object, and the retained
     * events (oldest first) with {@code eventFloor}: every change after it is among the events.
     */
    record Contents(long resourceVersion, List<StoredObject> objects, List<WatchEvent> events, long eventFloor) {
        public static final Contents EMPTY = new Contents(0, List.of(), List.of(), 0);
    }

    Contents load();

    /**
     * Records {@code changes} (ADDED/MODIFIED store the object, DELETED removes it; each has its own
     * resourceVersion, the last being {@code resourceVersion}) and forgets events at or below
     * {@code eventFloor}. Throws when nothing could be recorded; then nothing was.
     */
    void commit(List<WatchEvent> changes, long resourceVersion, long eventFloor);

    @Override
    void close();

    /** No durability: a store that starts empty every time (tests, caches). */
    StoreJournal NONE = new StoreJournal() {
        @Override
        public Contents load() {
            return Contents.EMPTY;
        }

        @Override
        public void commit(List<WatchEvent> changes, long resourceVersion, long eventFloor) {
        }

        @Override
        public void close() {
        }
    };
}
