package io.kedge.agent.proxy;

import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.proxy.tcp.RelayHandler;
import io.kedge.agent.tunnel.Tunnel;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Opens a channel to an endpoint: directly for endpoints on this node, on unknown nodes and on
 * nodes the tunnel does not serve; through the {@link Tunnel} otherwise. Either way the caller gets a
 * Netty {@link Channel} with {@code handler} installed and reading off (TCP) so that pipes and pools
 * need not care which it is. For UDP each message on the channel is one datagram either way.
 *
 * <p>Tunnel channels are expected to be handed over before any inbound data has been read (their
 * reading is turned off here, and data read earlier would miss {@code handler}).
 */
public final class Dialer {
    private final NettyTransport transport;
    private final String nodeName;
    private final Tunnel tunnel;
    private final int connectTimeoutMillis;

    public Dialer(NettyTransport transport, String nodeName, Tunnel tunnel, Duration connectTimeout) {
        this.transport = transport;
        this.nodeName = nodeName;
        this.tunnel = tunnel;
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
    }

    /** Whether traffic to {@code upstream} goes through the tunnel. */
    public boolean viaTunnel(Upstream upstream) {
        String node = upstream.nodeName();
        return node != null && !node.equals(nodeName) && tunnel.serves(node);
    }

    /**
     * @param loop    the caller's event loop: direct channels are registered on it, so that both
     *                halves of a pipe run on one thread
     * @param handler installed on the channel before it can read
     */
    public Future<Channel> dial(Upstream upstream, Protocol protocol, EventLoop loop, ChannelHandler handler) {
        return viaTunnel(upstream) ? viaTunnel(upstream, protocol, loop, handler) : direct(upstream, protocol, loop, handler);
    }

    private Future<Channel> direct(Upstream upstream, Protocol protocol, EventLoop loop, ChannelHandler handler) {
        Bootstrap b = new Bootstrap().group(loop).handler(handler);
        if (protocol == Protocol.UDP) {
            b.channel(transport.datagramChannelType());
        } else {
            b.channel(transport.socketChannelType())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, RelayHandler.OUTBOUND_WATER_MARK);
        }
        ChannelFuture connect = b.connect(upstream.address());
        Promise<Channel> result = loop.newPromise();
        connect.addListener(f -> {
            if (f.isSuccess()) {
                if (!result.trySuccess(connect.channel())) {
                    connect.channel().close();
                }
            } else {
                result.tryFailure(f.cause());
            }
        });
        result.addListener(f -> {
            if (f.isCancelled()) {
                connect.cancel(false);
                connect.channel().close();
            }
        });
        return result;
    }

    private Future<Channel> viaTunnel(Upstream upstream, Protocol protocol, EventLoop loop, ChannelHandler handler) {
        Promise<Channel> result = loop.newPromise();
        Future<Channel> open;
        try {
            open = tunnel.open(upstream.nodeName(), upstream.address(), protocol, loop);
        } catch (RuntimeException e) {
            return result.setFailure(e);
        }
        ScheduledFuture<?> timer = loop.schedule(() -> {
            if (result.tryFailure(new ConnectTimeoutException("tunnel to " + upstream + " not open after "
                    + connectTimeoutMillis + " ms"))) {
                open.cancel(false);
            }
        }, connectTimeoutMillis, TimeUnit.MILLISECONDS);
        open.addListener(f -> {
            timer.cancel(false);
            if (!f.isSuccess()) {
                result.tryFailure(f.cause() != null ? f.cause() : new IllegalStateException("tunnel open cancelled"));
                return;
            }
            Channel ch = open.getNow();
            if (result.isDone()) {
                ch.close();
                return;
            }
            // Like a direct dial: TCP waits for the caller to start reading, UDP reads at once.
            ch.config().setAutoRead(false);
            ch.pipeline().addLast(handler);
            if (!ch.isActive()) {
                // Closed before the hand-over (the peer agent refused or the tunnel went down): the
                // handler would never see it end, and the caller's client would wait for nothing.
                result.tryFailure(new java.io.IOException("tunnel stream to " + upstream + " closed before use"));
                return;
            }
            if (protocol == Protocol.UDP) {
                ch.config().setAutoRead(true);
            }
            if (!result.trySuccess(ch)) {
                ch.close();
            }
        });
        result.addListener(f -> {
            if (f.isCancelled()) {
                open.cancel(false);
            }
        });
        return result;
    }
}
