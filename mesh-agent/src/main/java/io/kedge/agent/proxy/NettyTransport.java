package io.kedge.agent.proxy;

import io.kedge.common.net.NetTransport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's one event loop group and its channel types (chosen by {@link NetTransport}). Every
 * listener and upstream channel of the proxy shares it, so the thread count is fixed however many
 * Services there are.
 *
 * <p>NIO is the proxy's default: with Netty 4.2.18 (and 4.2.20) the epoll transport deletes a
 * socket from its epoll set once it has nothing to wait for (input ended, reading off, nothing to
 * write) but keeps modifying it afterwards, which fails with ENOENT and closes the channel. A
 * half-closed connection whose other direction then meets backpressure is cut short.
 * {@link NetTransport.Type#EPOLL} stays available for when that is fixed.
 */
public final class NettyTransport implements AutoCloseable {
    private final NetTransport transport;
    private final EventLoopGroup group;

    private NettyTransport(NetTransport transport, EventLoopGroup group) {
        this.transport = transport;
        this.group = group;
    }

    /**
     * @param threads event loop threads; 0 means Netty's default (two per core)
     * @param name    thread name prefix
     */
    public static NettyTransport create(int threads, String name, NetTransport.Type type) {
        NetTransport transport = NetTransport.of(type);
        return new NettyTransport(transport, transport.newGroup(threads, name));
    }

    public EventLoopGroup group() {
        return group;
    }

    public boolean epoll() {
        return transport.isEpoll();
    }

    public Class<? extends ServerChannel> serverChannelType() {
        return transport.serverChannelType();
    }

    public Class<? extends SocketChannel> socketChannelType() {
        return transport.socketChannelType();
    }

    public Class<? extends DatagramChannel> datagramChannelType() {
        return transport.datagramChannelType();
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
