package io.kedge.common.kubeapi;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One change as a store records it. {@code object} is the new state (the last state for DELETED);
 * {@code previous} the state before a MODIFIED or DELETED, so that a filtered watch can tell an
 * object that stopped matching its selector. BOOKMARK events carry only a resourceVersion;
 * {@code initialEventsEnd} marks the bookmark that ends a watch's initial ADDED events.
 * Event objects are shared between watchers: read them, never modify them.
 */
public record WatchEvent(Type type, GroupResource resource, long resourceVersion, ObjectNode object, ObjectNode previous,
                         boolean initialEventsEnd) {

    public enum Type { ADDED, MODIFIED, DELETED, BOOKMARK }

    public static WatchEvent change(Type type, GroupResource resource, long resourceVersion, ObjectNode object,
                                    ObjectNode previous) {
        return new WatchEvent(type, resource, resourceVersion, object, previous, false);
    }

    public static WatchEvent bookmark(GroupResource resource, long resourceVersion, boolean initialEventsEnd) {
        return new WatchEvent(Type.BOOKMARK, resource, resourceVersion, null, null, initialEventsEnd);
    }
}
