package io.kedge.common.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandle;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ThreadFactory;

/**
 * The choice between Netty's native epoll transport and NIO, and the event-loop groups and channel
 * types that go with it: every Netty user in Kedge (agent DNS, proxy, tunnel; mesh-server) picks its
 * transport here, so they cannot disagree about channel types and group I/O handlers.
 *
 * <p>With epoll several UDP sockets can share one port (SO_REUSEPORT), one per event-loop thread,
 * so the kernel spreads clients over the threads.
 */
public final class NetTransport {
    /** Which I/O implementation: NIO, epoll (required), or epoll where it loads and NIO elsewhere. */
    public enum Type { NIO, EPOLL, AUTO }

    private final boolean epoll;

    private NetTransport(boolean epoll) {
        this.epoll = epoll;
    }

    /** epoll when available, else NIO. */
    public static NetTransport best() {
        return of(Type.AUTO);
    }

    public static NetTransport nio() {
        return of(Type.NIO);
    }

    /** The transport of that type; {@link Type#EPOLL} fails with Netty's reason when epoll does not load. */
    public static NetTransport of(Type type) {
        if (type == Type.EPOLL) {
            Epoll.ensureAvailability();
        }
        return new NetTransport(type != Type.NIO && Epoll.isAvailable());
    }

    /** The transport whose channels {@code loop} runs: a channel made elsewhere can join another group's loop. */
    public static NetTransport of(EventLoop loop) {
        boolean epollLoop = loop instanceof IoEventLoop io && !io.isCompatible(NioIoHandle.class) && Epoll.isAvailable();
        return new NetTransport(epollLoop);
    }

    /**
     * Whether {@code loop} can run this module's socket channels (an NIO or an epoll I/O loop), so
     * a connection made for a channel on it can live on the same thread, with no hop between loops.
     */
    public static boolean runsSockets(EventLoop loop) {
        return loop instanceof IoEventLoop io
                && (io.isCompatible(NioIoHandle.class) || (Epoll.isAvailable() && io.isCompatible(EpollIoHandle.class)));
    }

    public boolean isEpoll() {
        return epoll;
    }

    /** A group of {@code threads} (0: Netty's default, two per core) daemon event-loop threads named {@code name-N}. */
    public EventLoopGroup newGroup(int threads, String name) {
        return newGroup(threads, new DefaultThreadFactory(name, true));
    }

    /** A group of {@code threads} (0: Netty's default, two per core) event-loop threads made by {@code factory}. */
    public EventLoopGroup newGroup(int threads, ThreadFactory factory) {
        IoHandlerFactory io = epoll ? new StayRegisteredEpoll(EpollIoHandler.newFactory()) : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, factory, io);
    }

    public ChannelFactory<? extends DatagramChannel> datagram() {
        return epoll ? EpollDatagramChannel::new : NioDatagramChannel::new;
    }

    public ChannelFactory<? extends ServerChannel> server() {
        return epoll ? EpollServerSocketChannel::new : NioServerSocketChannel::new;
    }

    public ChannelFactory<? extends Channel> stream() {
        return epoll ? EpollSocketChannel::new : NioSocketChannel::new;
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
    public String toString() {
        return epoll ? "epoll" : "nio";
    }
}
