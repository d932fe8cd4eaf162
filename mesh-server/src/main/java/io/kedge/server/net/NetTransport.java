package io.kedge.server.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Netty's native epoll transport where it loads (Linux), NIO elsewhere. With epoll several UDP
 * sockets share the listening port (SO_REUSEPORT), one per event-loop thread, so that the kernel
 * spreads clients over the threads.
 */
public final class NetTransport {
    private final boolean epoll;

    private NetTransport(boolean epoll) {
        this.epoll = epoll;
    }

    public static NetTransport best() {
        return new NetTransport(Epoll.isAvailable());
    }

    public static NetTransport nio() {
        return new NetTransport(false);
    }

    public boolean isEpoll() {
        return epoll;
    }

    /** A group of {@code threads} daemon event-loop threads named {@code name-N}. */
    public EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), io);
    }

    public ChannelFactory<? extends DatagramChannel> datagram() {
        return epoll ? EpollDatagramChannel::new : NioDatagramChannel::new;
    }

    public ChannelFactory<? extends ServerChannel> server() {
        return epoll ? EpollServerSocketChannel::new : NioServerSocketChannel::new;
    }

    /** Channel type check used by handlers that need the datagram channel they run on. */
    static boolean isDatagram(Channel channel) {
        return channel instanceof DatagramChannel;
    }

    @Override
    public String toString() {
        return epoll ? "epoll" : "nio";
    }
}
