package io.kedge.agent.dns;

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
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Netty's native epoll transport where it loads (Linux), NIO elsewhere. With epoll several UDP
 * sockets can share one port (SO_REUSEPORT), so every event-loop thread reads its own socket.
 */
public final class NetTransport {
    private final boolean epoll;

    private NetTransport(boolean epoll) {
        this.epoll = epoll;
    }

    /** epoll when available, else NIO. */
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

    public ChannelFactory<? extends Channel> stream() {
        return epoll ? EpollSocketChannel::new : NioSocketChannel::new;
    }

    @Override
    public String toString() {
        return epoll ? "epoll" : "nio";
    }
}
