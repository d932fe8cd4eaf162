package io.kedge.agent.proxy.udp;

import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.proxy.IdleCloseHandler;
import io.kedge.agent.proxy.IdleTimeoutHandler;
import io.kedge.agent.proxy.PortMetrics;
import io.kedge.agent.proxy.ProxyContext;
import io.kedge.agent.proxy.Upstream;
import io.kedge.agent.proxy.UpstreamConnector.Connected;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * One client address of a UDP Service port: an upstream channel (a connected UDP socket, or a
 * tunnel stream carrying one buffer per datagram) to the endpoint chosen for it. Datagrams that
 * arrive while the upstream is being opened wait in a small bounded queue. The session ends when
 * its upstream has carried nothing either way for the idle timeout, or reports an error (such as
 * ICMP port unreachable), so the next datagram picks an endpoint afresh.
 */
final class UdpSession {
    private final UdpListener listener;
    private final Channel listening;
    private final InetSocketAddress client;
    private final Consumer<UdpSession> onClose;
    private final PortMetrics metrics;
    private final int maxPending;
    private ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private Future<Connected> connecting;
    private Channel upstream;
    private Upstream endpoint;
    private boolean closed;

    UdpSession(UdpListener listener, Channel listening, InetSocketAddress client, Consumer<UdpSession> onClose) {
        this.listener = listener;
        this.listening = listening;
        this.client = client;
        this.onClose = onClose;
        this.metrics = listener.metrics();
        this.maxPending = listener.context().config().udpPendingDatagrams();
    }

    InetSocketAddress client() {
        return client;
    }

    /** The endpoint this session goes to, or null while it is still being chosen. */
    Upstream endpoint() {
        return endpoint;
    }

    void start() {
        ProxyContext context = listener.context();
        String clientIp = client.getAddress().getHostAddress();
        Duration idleTimeout = context.config().udpIdleTimeout();
        connecting = context.connector().connect(listener::route, clientIp, clientIp, listening.eventLoop(), metrics,
                u -> context.dialer().dial(u, Protocol.UDP, listening.eventLoop(), new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.config().setOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(UdpListener.MAX_DATAGRAM));
                        ch.pipeline().addLast(new IdleTimeoutHandler(idleTimeout),
                                IdleCloseHandler.INSTANCE, new UdpReplyHandler(listening, client, metrics));
                    }
                }));
        connecting.addListener(f -> {
            if (f.isSuccess()) {
                connected(connecting.getNow());
            } else {
                metrics.droppedDatagrams.inc(pending == null ? 0 : pending.size());
                close();
            }
        });
    }

    private void connected(Connected c) {
        Channel ch = c.channel();
        if (closed) {
            ch.close();
            return;
        }
        upstream = ch;
        endpoint = c.upstream();
        listener.track(ch);
        c.upstream().active().incrementAndGet();
        ch.closeFuture().addListener(f -> {
            c.upstream().active().decrementAndGet();
            if (listening.eventLoop().inEventLoop()) {
                close();
            } else {
                listening.eventLoop().execute(this::close);
            }
        });
        ArrayDeque<ByteBuf> queued = pending;
        pending = null;
        for (ByteBuf datagram : queued) {
            metrics.bytesUpstream.inc(datagram.readableBytes());
            ch.write(datagram, ch.voidPromise());
        }
        ch.flush();
    }

    /** Forwards one client datagram (takes ownership of {@code datagram}). */
    void send(ByteBuf datagram) {
        if (closed) {
            datagram.release();
            return;
        }
        if (upstream != null) {
            metrics.bytesUpstream.inc(datagram.readableBytes());
            upstream.writeAndFlush(datagram, upstream.voidPromise());
            return;
        }
        if (pending.size() >= maxPending) {
            metrics.droppedDatagrams.inc();
            datagram.release();
            return;
        }
        // Reads land in 64 KiB buffers; a datagram that waits is moved to a buffer of its own size.
        if (datagram.capacity() > 2 * datagram.readableBytes() + 64) {
            ByteBuf compact = listening.alloc().buffer(datagram.readableBytes());
            compact.writeBytes(datagram);
            datagram.release();
            datagram = compact;
        }
        pending.add(datagram);
    }

    /** Ends the session: its upstream is closed and it leaves the table. Idempotent. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pending != null) {
            pending.forEach(ByteBuf::release);
            pending = null;
        }
        if (connecting != null) {
            connecting.cancel(false);
        }
        if (upstream != null) {
            upstream.close();
        }
        onClose.accept(this);
    }
}
