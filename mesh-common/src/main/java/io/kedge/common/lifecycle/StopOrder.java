package io.kedge.common.lifecycle;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a program has started, to be stopped in reverse order: every module registers how to stop it
 * as soon as it has started, so a failed start stops exactly what is running. One failing stop is
 * logged and the rest still run.
 */
public final class StopOrder {
    private static final Logger log = LoggerFactory.getLogger(StopOrder.class);

    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    /** Registers {@code stop} to run before everything registered earlier. */
    public synchronized void push(AutoCloseable stop) {
        started.push(stop);
    }

    public synchronized boolean isEmpty() {
        return started.isEmpty();
    }

    /** Runs every registered stop, newest first, and forgets them. */
    public void stopAll() {
        while (true) {
            AutoCloseable next;
            synchronized (this) {
                next = started.poll();
            }
            if (next == null) {
                return;
            }
            try {
                next.close();
            } catch (Exception e) {
                log.warn("stopping {} failed: {}", next.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
