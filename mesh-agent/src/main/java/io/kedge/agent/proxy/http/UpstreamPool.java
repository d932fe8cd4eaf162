package io.kedge.agent.proxy.http;

import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.proxy.IdleTimeoutHandler;
import io.kedge.agent.proxy.PortListener;
import io.kedge.agent.proxy.ProxyConfig;
import io.kedge.agent.proxy.Upstream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Keep-alive upstream connections of one HTTP Service port on one event loop (used only from that
 * loop: no locks, and a request's two connections share a thread). Idle connections are reused
 * most-recent first; at most {@code httpMaxIdlePerEndpoint} wait per endpoint, and at most
 * {@code httpMaxConnectionsPerEndpoint} are open per endpoint in all (counted across loops).
 */
final class UpstreamPool {
    static final String CODEC = "http-client";
    static final String WRITER = "request-writer";
    static final String IDLE = "pool-idle";
    static final String HANDLER = "upstream";

    /** The endpoint already has as many connections as allowed. */
    static final class PoolExhaustedException extends Exception {
        PoolExhaustedException(Upstream upstream, int max) {
            super("endpoint " + upstream + " already has " + max + " connections open");
        }
    }

    private final PortListener listener;
    private final EventLoop loop;
    private final ProxyConfig config;
    private final Map<Upstream, ArrayDeque<Channel>> idle = new HashMap<>();

    UpstreamPool(PortListener listener, EventLoop loop) {
        this.listener = listener;
        this.loop = loop;
        this.config = listener.context().config();
    }

    /** An idle connection to {@code upstream} (the most recently used), or null. */
    Channel pollIdle(Upstream upstream) {
        ArrayDeque<Channel> waiting = idle.get(upstream);
        while (waiting != null && !waiting.isEmpty()) {
            Channel ch = waiting.pollLast();
            if (ch.isActive()) {
                return ch;
            }
        }
        return null;
    }

    /** An idle connection to {@code upstream}, or a new one. */
    Future<Channel> acquire(Upstream upstream) {
        Channel reused = pollIdle(upstream);
        if (reused != null) {
            return loop.newSucceededFuture(reused);
        }
        int max = config.httpMaxConnectionsPerEndpoint();
        if (upstream.connections().incrementAndGet() > max) {
            upstream.connections().decrementAndGet();
            return loop.newFailedFuture(new PoolExhaustedException(upstream, max));
        }
        Duration idleTimeout = config.httpPoolIdleTimeout();
        // The HTTP handlers go in once the channel is ours (below), not through an initializer: a
        // tunnel stream lives on the tunnel's event loop, where an initializer would run later than a
        // request written meanwhile. They run on this pool's loop either way (Netty hands events and
        // writes across), since the exchange and the pool are single-threaded on it.
        ChannelHandler placeholder = new ChannelInboundHandlerAdapter();
        Future<Channel> dial = listener.context().dialer().dial(upstream, Protocol.TCP, loop, placeholder);
        Promise<Channel> result = loop.newPromise();
        dial.addListener(f -> {
            if (!f.isSuccess()) {
                upstream.connections().decrementAndGet();
                result.tryFailure(f.cause() != null ? f.cause() : new IllegalStateException("dial cancelled"));
                return;
            }
            Channel ch = dial.getNow();
            EventExecutorGroup ours = ch.eventLoop() == loop ? null : loop;
            HttpMessageDecoder decoder = HttpMessageDecoder.forResponses(config.httpMaxInitialLine(), config.httpMaxHeaderSize());
            ch.pipeline().addLast(ours, CODEC, decoder);
            ch.pipeline().addLast(ours, WRITER, new UpstreamRequest.Writer(decoder));
            ch.pipeline().addLast(ours, IDLE, new IdleTimeoutHandler(idleTimeout));
            ch.pipeline().addLast(ours, HANDLER, new UpstreamHandler());
            ch.pipeline().remove(placeholder);
            listener.track(ch);
            ch.closeFuture().addListener(c -> {
                upstream.connections().decrementAndGet();
                if (loop.inEventLoop()) {
                    forget(upstream, ch);
                } else {
                    loop.execute(() -> forget(upstream, ch));
                }
            });
            ch.config().setAutoRead(true);
            if (!result.trySuccess(ch)) {
                ch.close();
            }
        });
        result.addListener(f -> {
            if (f.isCancelled()) {
                dial.cancel(false);
            }
        });
        return result;
    }

    /** Takes back a connection whose exchange finished cleanly; keeps it if there is room. */
    void release(Upstream upstream, Channel ch) {
        if (!ch.isActive()) {
            return;
        }
        ArrayDeque<Channel> waiting = idle.computeIfAbsent(upstream, u -> new ArrayDeque<>());
        if (waiting.size() >= config.httpMaxIdlePerEndpoint()) {
            ch.close();
            return;
        }
        waiting.addLast(ch);
    }

    /** Closes idle connections to endpoints not in {@code current} (they left the catalog). Runs on this loop. */
    void retainOnly(Set<Upstream> current) {
        for (Map.Entry<Upstream, ArrayDeque<Channel>> e : new ArrayList<>(idle.entrySet())) {
            if (!current.contains(e.getKey())) {
                new ArrayList<>(e.getValue()).forEach(Channel::close);
            }
        }
    }

    EventLoop loop() {
        return loop;
    }

    private void forget(Upstream upstream, Channel ch) {
        ArrayDeque<Channel> waiting = idle.get(upstream);
        if (waiting != null) {
            waiting.remove(ch);
            if (waiting.isEmpty()) {
                idle.remove(upstream);
            }
        }
    }

    /** Idle connections now (for tests and state). */
    int idleConnections() {
        return idle.values().stream().mapToInt(ArrayDeque::size).sum();
    }
}
