package io.kedge.common.kubeapi;

/** A running watch. */
public interface Watch extends AutoCloseable {
    /** Asks for a BOOKMARK carrying the store's current resourceVersion, delivered in order with the events. */
    void bookmark();

    /** Stops delivery; idempotent. */
    @Override
    void close();
}
