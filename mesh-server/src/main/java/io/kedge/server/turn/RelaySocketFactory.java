package io.kedge.server.turn;

import io.netty.util.concurrent.EventExecutor;
import java.util.function.BiConsumer;

/** Opens relay sockets on free ports of the configured range, without blocking the caller. */
public interface RelaySocketFactory {
    /**
     * Opens a socket whose I/O runs on {@code executor}, on an even port if {@code evenPort}, and
     * calls {@code done} on {@code executor} with the socket or the reason none could be opened.
     */
    void open(EventExecutor executor, boolean evenPort, BiConsumer<RelaySocket, Throwable> done);
}
