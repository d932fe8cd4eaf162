package io.kedge.server.net;

import io.kedge.common.net.NetTransport;
import io.kedge.server.turn.RelaySocket;
import io.kedge.server.turn.RelaySocketFactory;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relay sockets on random free ports of the configured range (random so that relayed addresses
 * are not guessable), bound asynchronously on the allocation's own event loop. A port some other
 * program holds is skipped: binding is retried on another port a bounded number of times.
 */
public final class RelaySockets implements RelaySocketFactory {
    private static final Logger log = LoggerFactory.getLogger(RelaySockets.class);
    static final int BIND_ATTEMPTS = 16;
    /**
     * Receive buffer a relay socket asks for. The kernel's default (about 208 KiB) holds only some 90
     * small datagrams at its per-packet accounting, and a peer's burst of replies arrives while the
     * allocation's event loop may be busy with other allocations: the rest were dropped
     * (RcvbufErrors). It is a ceiling, not a reservation: memory is charged only for queued data.
     */
    static final int RECEIVE_BUFFER = 1024 * 1024;

    private final NetTransport transport;
    private final InetAddress bindAddress;
    private final int minPort;
    private final int maxPort;
    private final Set<Integer> inUse = ConcurrentHashMap.newKeySet();
    private final boolean gso;

    public RelaySockets(NetTransport transport, InetAddress bindAddress, int minPort, int maxPort) {
        if (minPort < 1 || maxPort > 65535 || minPort > maxPort) {
            throw new IllegalArgumentException("bad port range " + minPort + "-" + maxPort);
        }
        this.transport = transport;
        this.bindAddress = bindAddress;
        this.minPort = minPort;
        this.maxPort = maxPort;
        this.gso = transport.isEpoll() && GsoCoalescer.supported();
    }

    public int portsInUse() {
        return inUse.size();
    }

    @Override
    public void open(EventExecutor executor, boolean evenPort, BiConsumer<RelaySocket, Throwable> done) {
        bind((EventLoop) executor, evenPort, 1, done);
    }

    private void bind(EventLoop loop, boolean evenPort, int attempt, BiConsumer<RelaySocket, Throwable> done) {
        int port = reservePort(evenPort);
        if (port < 0) {
            done.accept(null, new IOException("every port of " + minPort + "-" + maxPort + " is in use"));
            return;
        }
        NettyRelaySocket socket = new NettyRelaySocket();
        new Bootstrap().group(loop).channelFactory(transport.datagram())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .option(ChannelOption.SO_RCVBUF, RECEIVE_BUFFER)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (gso) {
                            ch.pipeline().addLast("gso", new GsoCoalescer());
                        }
                        ch.pipeline().addLast("peers", socket.inbound());
                    }
                })
                .bind(bindAddress, port).addListener(f -> {
                    if (f.isSuccess()) {
                        Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
                        ch.closeFuture().addListener(c -> inUse.remove(port));
                        socket.attach(ch);
                        done.accept(socket, null);
                    } else {
                        inUse.remove(port);
                        if (attempt < BIND_ATTEMPTS) {
                            log.debug("relay port {} unavailable ({}), trying another", port, f.cause().toString());
                            bind(loop, evenPort, attempt + 1, done);
                        } else {
                            done.accept(null, f.cause());
                        }
                    }
                });
    }

    /** Picks and marks a port not used by another allocation, starting at a random one; -1 if none. */
    private int reservePort(boolean even) {
        int span = maxPort - minPort + 1;
        int start = ThreadLocalRandom.current().nextInt(span);
        for (int i = 0; i < span; i++) {
            int port = minPort + (start + i) % span;
            if (even && (port & 1) != 0) {
                continue;
            }
            if (inUse.add(port)) {
                return port;
            }
        }
        return -1;
    }

    /** One relay socket; its inbound handler hands datagrams to the allocation once it is attached. */
    static final class NettyRelaySocket implements RelaySocket {
        private Channel channel;
        private volatile PeerDataSink sink;

        void attach(Channel channel) {
            this.channel = channel;
        }

        SimpleChannelInboundHandler<DatagramPacket> inbound() {
            return new SimpleChannelInboundHandler<>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                    PeerDataSink s = sink;
                    if (s != null) {
                        s.onPeerData(packet.sender(), packet.content().retain());
                    }
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    log.debug("relay socket {}: {}", ctx.channel().localAddress(), cause.toString());
                }
            };
        }

        @Override
        public InetSocketAddress localAddress() {
            return (InetSocketAddress) channel.localAddress();
        }

        @Override
        public void send(InetSocketAddress peer, ByteBuf data) {
            if (!channel.isWritable()) {
                data.release(); // a datagram the kernel cannot take now is dropped, not queued
                return;
            }
            WriteBatcher.write(channel, new DatagramPacket(data, peer));
        }

        @Override
        public void receiveInto(PeerDataSink sink) {
            this.sink = sink;
        }

        @Override
        public void close() {
            sink = null;
            channel.close();
        }
    }
}
