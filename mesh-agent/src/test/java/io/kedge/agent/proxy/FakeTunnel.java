package io.kedge.agent.proxy;

import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.proxy.tcp.RelayHandler;
import io.kedge.agent.tunnel.Tunnel;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.prometheus.metrics.core.metrics.Counter;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test double of the cross-node tunnel: streams are in-process Netty local channels to a "remote
 * agent" in this JVM that dials the target with real sockets. It records every stream it opens.
 * Local channels merge consecutive buffers (they are streams), so for UDP each datagram crosses in
 * a holder of its own and comes out as one buffer, as the real tunnel's contract says.
 */
final class FakeTunnel implements Tunnel, AutoCloseable {
    private static final AtomicInteger IDS = new AtomicInteger();

    /** One stream the tunnel carried. */
    record Opened(String node, InetSocketAddress target, Protocol protocol) {
    }

    private final Set<String> nodes;
    private final EventLoopGroup local = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private final EventLoopGroup remote = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final LocalAddress address = new LocalAddress("fake-tunnel-" + IDS.incrementAndGet());
    private final Map<LocalAddress, Pending> pending = new ConcurrentHashMap<>();

    private record Pending(Opened what, Promise<Void> reading) {
    }

    /** Completes {@code reading} when the proxy first reads the stream (UDP streams count as read at once). */
    private static final class FirstRead extends io.netty.channel.ChannelDuplexHandler {
        private final Promise<Void> reading;

        FirstRead(Promise<Void> reading) {
            this.reading = reading;
        }

        @Override
        public void read(ChannelHandlerContext ctx) {
            reading.trySuccess(null);
            ctx.read();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            reading.trySuccess(null);
            ctx.fireChannelInactive();
        }
    }
    private final Channel server;
    final List<Opened> opened = new CopyOnWriteArrayList<>();
    /** The proxy-side ends of TCP streams, each able to hold what the proxy writes (see {@link #stall}). */
    private final List<Stall> stalls = new CopyOnWriteArrayList<>();
    private volatile boolean stalled;

    /**
     * While stalled, what the proxy writes to a TCP stream is held with its write unfinished and the
     * stream still writable: a QUIC stream whose connection cannot send, seen from another event loop.
     */
    private final class Stall extends io.netty.channel.ChannelOutboundHandlerAdapter {
        private final List<Object> held = new java.util.ArrayList<>();
        private final List<io.netty.channel.ChannelPromise> promises = new java.util.ArrayList<>();
        private ChannelHandlerContext ctx;
        final java.util.concurrent.atomic.AtomicLong heldBytes = new java.util.concurrent.atomic.AtomicLong();

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) {
            if (stalled || !held.isEmpty()) {
                if (msg instanceof ByteBuf b) {
                    heldBytes.addAndGet(b.readableBytes());
                }
                held.add(msg);
                promises.add(promise);
            } else {
                ctx.write(msg, promise);
            }
        }

        void release() {
            ctx.executor().execute(() -> {
                for (int i = 0; i < held.size(); i++) {
                    ctx.write(held.get(i), promises.get(i));
                }
                held.clear();
                promises.clear();
                ctx.flush();
            });
        }
    }

    /** Holds (true) or passes on (false, releasing what was held) what the proxy writes to TCP streams. */
    void stall(boolean on) {
        stalled = on;
        if (!on) {
            stalls.forEach(Stall::release);
        }
    }

    /** Bytes held by {@link #stall} so far, over all streams. */
    long heldBytes() {
        return stalls.stream().mapToLong(st -> st.heldBytes.get()).sum();
    }
    private final io.prometheus.metrics.core.datapoints.CounterDataPoint ignored =
            Counter.builder().name("fake_tunnel_bytes").build().labelValues();

    /** One datagram per message across the local channel: buffers out become holders, holders in become buffers. */
    private static final class DatagramFraming extends MessageToMessageCodec<DefaultByteBufHolder, ByteBuf> {
        @Override
        protected void encode(ChannelHandlerContext ctx, ByteBuf datagram, List<Object> out) {
            out.add(new DefaultByteBufHolder(datagram.retain()));
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, DefaultByteBufHolder holder, List<Object> out) {
            out.add(holder.content().retain());
        }
    }

    FakeTunnel(String... servedNodes) throws InterruptedException {
        this.nodes = Set.of(servedNodes);
        server = new ServerBootstrap().group(local).channel(LocalServerChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel stream) {
                        Pending p = pending.remove((LocalAddress) stream.remoteAddress());
                        // TCP: the remote end dials once the proxy reads the stream. A QUIC stream keeps
                        // what arrives (and its end) until read; a local channel drops unread data
                        // when its peer closes, so a fast target must not answer and close earlier.
                        p.reading().addListener(f -> dialFor(stream, p.what()));
                    }
                }).bind(address).sync().channel();
    }

    @Override
    public boolean serves(String nodeName) {
        return nodes.contains(nodeName);
    }

    @Override
    public Future<Channel> open(String nodeName, InetSocketAddress target, Protocol protocol, EventLoop loop) {
        LocalAddress self = new LocalAddress("fake-stream-" + IDS.incrementAndGet());
        Opened what = new Opened(nodeName, target, protocol);
        Promise<Void> reading = local.next().newPromise();
        if (protocol == Protocol.UDP) {
            reading.setSuccess(null);
        }
        pending.put(self, new Pending(what, reading));
        opened.add(what);
        Promise<Channel> result = loop.newPromise();
        ChannelFuture connect = new Bootstrap().group(local).channel(LocalChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .handler(protocol == Protocol.UDP ? new DatagramFraming() : new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        Stall stall = new Stall();
                        stalls.add(stall);
                        ch.pipeline().addLast(new FirstRead(reading), stall);
                    }
                })
                .connect(address, self);
        connect.addListener(f -> {
            if (f.isSuccess()) {
                result.trySuccess(connect.channel());
            } else {
                result.tryFailure(f.cause());
            }
        });
        return result;
    }

    /** The "remote agent": dials the target and pipes the stream to it. */
    private void dialFor(LocalChannel stream, Opened what) {
        Bootstrap b = new Bootstrap().group(remote);
        if (what.protocol() == Protocol.UDP) {
            b.channel(NioDatagramChannel.class).option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(65535))
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf datagram = msg instanceof DatagramPacket p ? p.content() : (ByteBuf) msg;
                            stream.writeAndFlush(datagram);
                        }
                    });
        } else {
            b.channel(NioSocketChannel.class).handler(new RelayHandler(stream, ignored));
        }
        ChannelFuture dial = b.connect(what.target());
        dial.addListener(f -> {
            if (!f.isSuccess()) {
                stream.close();
                return;
            }
            Channel out = dial.channel();
            if (what.protocol() == Protocol.UDP) {
                stream.pipeline().addLast(new DatagramFraming());
            }
            stream.pipeline().addLast(what.protocol() == Protocol.UDP ? new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    out.writeAndFlush(msg);
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    out.close();
                }
            } : new RelayHandler(out, ignored));
            stream.config().setAutoRead(true);
        });
    }

    /** Streams opened to {@code target}. */
    long opensTo(InetSocketAddress target) {
        return opened.stream().filter(o -> o.target().equals(target)).count();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        local.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        remote.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
