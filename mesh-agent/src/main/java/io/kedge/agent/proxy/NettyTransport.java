package io.kedge.agent.proxy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * One event loop group and the matching channel types, NIO or native epoll. Every listener and
 * upstream channel of the proxy shares it, so the thread count is fixed however many Services there are.
 *
 * <p>NIO is the default: with Netty 4.2.18 (and 4.2.20) the epoll transport deletes a socket from
 * its epoll set once it has nothing to wait for (input ended, reading off, nothing to write) but
 * keeps modifying it afterwards, which fails with ENOENT and closes the channel. A half-closed
 * connection whose other direction then meets backpressure is cut short. {@link Type#EPOLL} stays
 * available for when that is fixed.
 */
public final class NettyTransport implements AutoCloseable {
    private final EventLoopGroup group;
    private final boolean epoll;

    /** Which I/O implementation: NIO, epoll, or epoll where it loads and NIO elsewhere. */
    public enum Type { NIO, EPOLL, AUTO }

    private NettyTransport(EventLoopGroup group, boolean epoll) {
        this.group = group;
        this.epoll = epoll;
    }

    /**
     * @param threads event loop threads; 0 means Netty's default (two per core)
     * @param name    thread name prefix
     */
    public static NettyTransport create(int threads, String name, Type type) {
        if (type == Type.EPOLL) {
            Epoll.ensureAvailability();
        }
        boolean epoll = type != Type.NIO && Epoll.isAvailable();
        DefaultThreadFactory threadFactory = new DefaultThreadFactory(name, true);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, threadFactory,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        return new NettyTransport(group, epoll);
    }

    public EventLoopGroup group() {
        return group;
    }

    public boolean epoll() {
        return epoll;
    }

    public Class<? extends ServerChannel> serverChannelType() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public Class<? extends SocketChannel> socketChannelType() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public Class<? extends DatagramChannel> datagramChannelType() {
        return epoll ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
