package io.kedge.agent.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.Errors;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The listener of one Service port. It holds the port's current {@link Route} (swapped on catalog
 * updates without touching established traffic) and every channel it opened, so that closing it
 * frees everything: the listening socket, client connections, upstream connections, sessions.
 */
public abstract class PortListener implements AutoCloseable {
    private static final long CLOSE_WAIT_SECONDS = 10;
    private static final long BIND_WAIT_SECONDS = 10;

    protected final ProxyContext context;
    protected final PortMetrics metrics;
    protected final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private volatile Route route;
    private volatile Channel serverChannel;

    protected PortListener(ProxyContext context, Route route, PortMetrics metrics) {
        this.context = context;
        this.route = route;
        this.metrics = metrics;
    }

    /** Binds the listening socket; throws (e.g. {@link java.net.BindException}) when the port is taken. */
    public final void bind(InetSocketAddress address) throws Exception {
        Channel ch = open(address);
        serverChannel = ch;
    }

    /** Opens the listening channel on {@code address} and waits (bounded) until it is bound. */
    protected abstract Channel open(InetSocketAddress address) throws Exception;

    /** Waits (bounded) for {@code bind}; throws its failure (such as {@link java.net.BindException}). */
    protected static Channel awaitBound(ChannelFuture bind, InetSocketAddress address) throws Exception {
        if (!bind.awaitUninterruptibly(BIND_WAIT_SECONDS, TimeUnit.SECONDS)) {
            bind.channel().close();
            throw new IllegalStateException("binding " + address + " took longer than " + BIND_WAIT_SECONDS + " s");
        }
        if (!bind.isSuccess()) {
            Throwable cause = bind.cause();
            if (cause instanceof Errors.NativeIoException) {
                // Epoll's bind(2) failure, as NIO reports it: the port taken, the address not ours, no permission.
                BindException taken = new BindException(cause.getMessage());
                taken.initCause(cause);
                throw taken;
            }
            throw cause instanceof Exception e ? e : new IllegalStateException(cause);
        }
        return bind.channel();
    }

    /** The listening channel (null before {@link #bind}). */
    protected Channel serverChannel() {
        return serverChannel;
    }

    public InetSocketAddress address() {
        Channel ch = serverChannel;
        return ch == null ? null : (InetSocketAddress) ch.localAddress();
    }

    public Route route() {
        return route;
    }

    public void update(Route newRoute) {
        route = newRoute;
    }

    public PortMetrics metrics() {
        return metrics;
    }

    public ProxyContext context() {
        return context;
    }

    /** Tracks a channel (client, upstream or session) so that {@link #close()} closes it. */
    public void track(Channel channel) {
        channels.add(channel);
    }

    /** Channels this listener has open, the listening socket included. */
    public int openChannels() {
        return channels.size() + (serverChannel != null && serverChannel.isOpen() ? 1 : 0);
    }

    @Override
    public void close() {
        Channel ch = serverChannel;
        if (ch != null) {
            ch.close().awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        }
        channels.close().awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        closed();
        metrics.remove();
    }

    /** Frees what the subclass holds beyond channels (called after every channel is closed). */
    protected void closed() {
    }
}
