package io.kedge.common.kubeapi;

/** Receives a watch's events. Called on the store's writer thread: hand the event over, never block. */
public interface WatchListener {
    void onEvent(WatchEvent event);

    /** The store ended the watch (it is closing, or the listener failed); {@code reason} may be null. */
    default void onClose(ApiException reason) {
    }
}
