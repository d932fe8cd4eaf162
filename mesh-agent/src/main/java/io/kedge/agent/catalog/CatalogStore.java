package io.kedge.agent.catalog;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the current {@link Catalog}. Readers take {@link #current()} (lock-free); discovery
 * replaces it with {@link #update}. Listeners (the proxy and iptables reconcilers) are called on one
 * dispatcher thread with the newest snapshot; bursts of updates coalesce into one call.
 */
public final class CatalogStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CatalogStore.class);

    private volatile Catalog current = Catalog.EMPTY;
    private final List<Consumer<Catalog>> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService dispatcher = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "catalog-dispatch");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean dispatchPending = new AtomicBoolean();

    public Catalog current() {
        return current;
    }

    /** Applies {@code change} to the current snapshot and notifies listeners (asynchronously). */
    public synchronized Catalog update(UnaryOperator<Catalog> change) {
        Catalog next = change.apply(current);
        if (next != current) {
            current = next;
            scheduleDispatch();
        }
        return next;
    }

    /** Adds a listener and calls it once with the current snapshot. */
    public void listen(Consumer<Catalog> listener) {
        Catalog snapshot = current;
        listeners.add(listener);
        dispatcher.execute(() -> deliver(listener, snapshot));
    }

    private void scheduleDispatch() {
        if (dispatchPending.compareAndSet(false, true)) {
            dispatcher.execute(() -> {
                dispatchPending.set(false);
                Catalog snapshot = current;
                for (Consumer<Catalog> l : listeners) {
                    deliver(l, snapshot);
                }
            });
        }
    }

    private static void deliver(Consumer<Catalog> listener, Catalog snapshot) {
        try {
            listener.accept(snapshot);
        } catch (RuntimeException e) {
            // A failing reconciler must not stop the others; it retries on its own resync.
            log.error("catalog listener {} failed on generation {}", listener, snapshot.generation(), e);
        }
    }

    @Override
    public void close() {
        dispatcher.shutdownNow();
    }
}
