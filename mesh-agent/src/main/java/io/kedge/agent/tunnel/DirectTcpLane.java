package io.kedge.agent.tunnel;

import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.proxy.tcp.RelayHandler;
import io.kedge.common.net.NetTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The direct TCP lane. Where a peer's TLS listener can be reached (the same LAN, or a node with a
 * routable address, even from a site that blocks UDP), the tunnel's TCP streams to it each take a
 * TLS connection of their own, opened on the proxy's event loop, instead of a stream of the QUIC
 * connection over ICE: the kernel's TCP carries the bytes, with no userspace congestion control,
 * no datagram bridge and no hop between event loops. UDP sessions, the tunnel's liveness, and TCP
 * streams while no lane is open stay on QUIC.
 * <p>
 * Each agent offers its listener's addresses in its ICE offer or answer (RFC 6544 passive TCP
 * candidates, which ICE itself skips); once the tunnel is open, each end probes the addresses its
 * peer offered and uses the first that completes a handshake. Authentication is the tunnel's:
 * TLS 1.3 with each agent's tunnel certificate, the client pinning the fingerprint its peer
 * signaled, the listener accepting only certificates that a peer it has a tunnel with signaled.
 * The receiving agent checks every stream's header as it does on QUIC (its own endpoints only).
 */
final class DirectTcpLane implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DirectTcpLane.class);
    /** Addresses offered and probed per peer, at most. */
    static final int MAX_ADDRESSES = 8;
    private static final int PROBE_CONNECT_MILLIS = 2000;
    private static final int STREAM_CONNECT_MILLIS = 3000;
    private static final long HANDSHAKE_MILLIS = 3000;
    /** An accepted connection that has not sent its stream header by then is closed. */
    private static final long HEADER_DEADLINE_SECONDS = 10;
    /** After a lane failed a stream, how long before it is probed again. */
    private static final long REPROBE_SECONDS = 30;
    private static final long ADDRESS_CACHE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** The tunnels this agent has, by the certificate fingerprint their peers signaled. */
    interface Links {
        /** The link (not closed) whose peer signaled {@code fingerprint}, or null. */
        PeerLink byFingerprint(String fingerprint);
    }

    private final int port;
    private final String bridgeDevice;
    private final InterfaceExclusions exclusions;
    private final TunnelCertificate certificate;
    private final LocalTargets targets;
    private final TunnelMetrics metrics;
    private final EventLoopGroup group;
    private final Links links;
    private final PinnedPeers pins = new PinnedPeers();
    private volatile SslContext client;
    private volatile Channel listener;
    private volatile List<String> offered = List.of();
    private volatile long offeredAt;

    /**
     * @param port the listener's port (0: any free one)
     */
    DirectTcpLane(int port, String bridgeDevice, InterfaceExclusions exclusions, TunnelCertificate certificate, LocalTargets targets,
                  TunnelMetrics metrics, EventLoopGroup group, Links links) {
        this.port = port;
        this.bridgeDevice = bridgeDevice;
        this.exclusions = exclusions;
        this.certificate = certificate;
        this.targets = targets;
        this.metrics = metrics;
        this.group = group;
        this.links = links;
    }

    /** Builds the TLS contexts and listens; without a listener (port taken, no permission) the lane stays off and QUIC carries everything. */
    void start() {
        SslProvider provider = io.netty.handler.ssl.OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        SslContext server;
        try {
            client = SslContextBuilder.forClient().sslProvider(provider)
                    .keyManager(certificate.keys().getPrivate(), certificate.certificate())
                    .trustManager(pins).protocols("TLSv1.3")
                    .endpointIdentificationAlgorithm(null) // the peer is identified by its pinned fingerprint, not a host name
                    .build();
            server = SslContextBuilder.forServer(certificate.keys().getPrivate(), certificate.certificate()).sslProvider(provider)
                    .trustManager(new SignaledPeers()).clientAuth(ClientAuth.REQUIRE).protocols("TLSv1.3").build();
        } catch (SSLException e) {
            log.warn("direct TCP lane off: cannot build its TLS contexts: {}", e.toString());
            client = null;
            return;
        }
        SslContext serverTls = server;
        ChannelFuture bind = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, RelayHandler.OUTBOUND_WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        SslHandler tls = serverTls.newHandler(ch.alloc());
                        tls.setHandshakeTimeoutMillis(HANDSHAKE_MILLIS);
                        ch.pipeline().addLast("tls", tls).addLast("peer", new AcceptedPeer(tls));
                        ch.eventLoop().schedule(() -> {
                            if (ch.pipeline().get("peer") != null || ch.pipeline().get("accept") != null) {
                                ch.close(); // no stream header in time
                            }
                        }, HEADER_DEADLINE_SECONDS, TimeUnit.SECONDS);
                    }
                })
                .bind(new InetSocketAddress(port));
        if (!bind.awaitUninterruptibly(5, TimeUnit.SECONDS) || !bind.isSuccess()) {
            log.warn("direct TCP lane off: cannot listen on TCP port {}: {}", port,
                    bind.cause() == null ? "timed out" : bind.cause().toString());
            bind.channel().close();
            client = null;
            return;
        }
        listener = bind.channel();
        log.info("direct TCP lane listening on port {} (TLS 1.3, {})", port(), provider);
    }

    /** The listener's port, or 0 when the lane is off. */
    int port() {
        Channel l = listener;
        return l == null ? 0 : ((InetSocketAddress) l.localAddress()).getPort();
    }

    /**
     * The candidate lines that offer this agent's listener: one per IPv4 address of its up,
     * non-loopback interfaces, but not the mesh bridge or excluded interfaces (as for ICE host
     * candidates). Looked up at most every 10 s.
     */
    List<String> candidateLines() {
        int p = port();
        if (p == 0) {
            return List.of();
        }
        if (System.nanoTime() - offeredAt < ADDRESS_CACHE_NANOS) {
            return offered;
        }
        List<String> lines = new ArrayList<>();
        try {
            for (NetworkInterface iface : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!iface.isUp() || iface.isLoopback() || iface.getName().equals(bridgeDevice) || exclusions.excludes(iface.getName())) {
                    continue;
                }
                for (InetAddress a : Collections.list(iface.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLinkLocalAddress() && !a.isLoopbackAddress() && lines.size() < MAX_ADDRESSES) {
                        lines.add(IceCandidates.directTcp(a, p));
                    }
                }
            }
        } catch (SocketException e) {
            log.debug("cannot list interfaces for the direct TCP lane: {}", e.toString());
        }
        offered = List.copyOf(lines);
        offeredAt = System.nanoTime();
        return offered;
    }

    /**
     * Looks for the peer's lane: a handshake with every address it offered at once; the first that
     * completes becomes the link's lane. Called when the tunnel opens (each end for its own streams).
     */
    void probe(PeerLink link) {
        if (client == null || link.state != PeerLink.State.OPEN || link.peerFingerprint == null) {
            return;
        }
        List<InetSocketAddress> addresses = link.peerTcp;
        if (addresses.isEmpty()) {
            link.laneProbe = "none-offered";
            metrics.directTcpProbe("none_offered");
            return;
        }
        link.laneProbe = "probing";
        AtomicInteger failed = new AtomicInteger();
        for (InetSocketAddress address : addresses) {
            EventLoop loop = group.next();
            Promise<Channel> done = loop.newPromise();
            connect(link, address, loop, PROBE_CONNECT_MILLIS, new StreamOpenHandler(null, address, done), done);
            done.addListener(f -> {
                if (f.isSuccess()) {
                    ((Channel) f.getNow()).close();
                    synchronized (link) {
                        if (link.directTcp != null || link.state != PeerLink.State.OPEN) {
                            return;
                        }
                        link.directTcp = address;
                        link.laneProbe = "open";
                    }
                    metrics.directTcpProbe("open");
                    log.info("tunnel to {}: direct TCP lane to {}", link.peer, address);
                } else if (failed.incrementAndGet() == addresses.size() && link.directTcp == null) {
                    link.laneProbe = "unreachable";
                    metrics.directTcpProbe("unreachable");
                    log.debug("tunnel to {}: no direct TCP lane at {}: {}", link.peer, addresses, f.cause().toString());
                }
            });
        }
    }

    /**
     * Opens one TCP stream to {@code target} over the link's lane on {@code loop}: {@code result}
     * gets the stream once the peer agent answered "connected", or its refusal. When the lane
     * itself fails (no connection, no handshake, closed before an answer), the lane is dropped
     * until a later probe and {@code fallback} runs instead (the stream then goes over QUIC).
     */
    void open(PeerLink link, InetSocketAddress target, EventLoop loop, Promise<Channel> result, Runnable fallback) {
        InetSocketAddress address = link.directTcp;
        if (address == null) {
            fallback.run();
            return;
        }
        // The caller's loop when it runs socket channels (the proxy's, NIO or epoll: no hop between
        // loops for every chunk the stream relays), else one of the tunnel's.
        EventLoop home = NetTransport.runsSockets(loop) ? loop : group.next();
        Promise<Channel> answered = home.newPromise();
        Channel ch = connect(link, address, home, STREAM_CONNECT_MILLIS, new StreamOpenHandler(Protocol.TCP, target, answered), answered);
        link.streams.incrementAndGet();
        link.touch();
        ch.closeFuture().addListener(f -> link.streams.decrementAndGet());
        answered.addListener(f -> {
            if (f.isSuccess()) {
                metrics.streamOpened("tcp");
                if (!result.trySuccess(ch)) {
                    ch.close();
                }
            } else if (f.cause() instanceof StreamOpenHandler.Refused) {
                result.tryFailure(f.cause());
            } else {
                lost(link, address, f.cause());
                fallback.run();
            }
        });
    }

    /** The lane at {@code address} failed a stream: QUIC carries the link's streams until a probe finds a lane again. */
    private void lost(PeerLink link, InetSocketAddress address, Throwable cause) {
        synchronized (link) {
            if (!address.equals(link.directTcp)) {
                return;
            }
            link.directTcp = null;
            link.laneProbe = "lost";
        }
        log.info("tunnel to {}: direct TCP lane to {} failed ({}), streams go over QUIC", link.peer, address, cause.toString());
        group.schedule(() -> {
            if (link.state == PeerLink.State.OPEN && link.directTcp == null) {
                probe(link);
            }
        }, REPROBE_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Connects to the peer's listener at {@code address} with its fingerprint pinned, {@code stream}
     * after TLS; {@code done} is the stream's promise, which this also fails when the connection or
     * the handshake does.
     */
    private Channel connect(PeerLink link, InetSocketAddress address, EventLoop loop, int connectMillis, StreamOpenHandler stream,
                            Promise<Channel> done) {
        String key = pins.expect(link.peerFingerprint);
        SslContext tlsContext = client;
        // On the caller's loop (the proxy's: epoll or NIO), with that loop's kind of channel.
        ChannelFuture connect = new Bootstrap().group(loop).channel(NetTransport.of(loop).socketChannelType())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMillis)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, RelayHandler.OUTBOUND_WATER_MARK)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        SslHandler tls = tlsContext.newHandler(ch.alloc(), key, address.getPort());
                        tls.setHandshakeTimeoutMillis(HANDSHAKE_MILLIS);
                        ch.pipeline().addLast("tls", tls).addLast("bytes", new LaneBytes(link));
                        ch.pipeline().addLast("open", stream);
                        tls.handshakeFuture().addListener(h -> {
                            pins.forget(key);
                            if (!h.isSuccess()) {
                                done.tryFailure(h.cause());
                                ch.close();
                            }
                        });
                    }
                })
                .connect(address);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                pins.forget(key);
                done.tryFailure(f.cause());
            }
        });
        connect.channel().closeFuture().addListener(f -> {
            pins.forget(key);
            done.tryFailure(new IOException("direct TCP lane connection to " + address + " closed"));
        });
        return connect.channel();
    }

    /** How many client handshakes are pinned right now (for tests: each forgets its pin). */
    int pinned() {
        return pins.size();
    }

    @Override
    public void close() {
        Channel l = listener;
        if (l != null) {
            l.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }

    /** On an accepted connection, after the handshake: finds the peer's link and hands the connection to a stream acceptor. */
    private final class AcceptedPeer extends ChannelDuplexHandler {
        private final SslHandler tls;
        private final List<Object> early = new ArrayList<>(1);

        AcceptedPeer(SslHandler tls) {
            this.tls = tls;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            early.add(msg); // only before the handshake event, which comes first
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (!(evt instanceof SslHandshakeCompletionEvent done)) {
                ctx.fireUserEventTriggered(evt);
                return;
            }
            if (!done.isSuccess()) {
                ctx.close();
                return;
            }
            PeerLink link = null;
            try {
                Certificate[] chain = tls.engine().getSession().getPeerCertificates();
                link = links.byFingerprint(TunnelCertificate.fingerprintOf((X509Certificate) chain[0]));
            } catch (Exception e) {
                log.debug("direct TCP lane connection without a usable peer certificate: {}", e.toString());
            }
            if (link == null) {
                ctx.close(); // the tunnel with that peer ended since the handshake
                return;
            }
            PeerLink owner = link;
            owner.streams.incrementAndGet();
            owner.touch();
            ctx.channel().closeFuture().addListener(f -> owner.streams.decrementAndGet());
            List<Object> held = new ArrayList<>(early);
            early.clear(); // handed on below, not released with this handler
            ChannelHandlerContext tlsContext = ctx.pipeline().context("tls");
            ctx.pipeline().addAfter(ctx.name(), "accept", new StreamAcceptHandler(targets, metrics, owner::touch))
                    .replace(this, "bytes", new LaneBytes(owner));
            for (Object msg : held) {
                tlsContext.fireChannelRead(msg);
            }
            if (!held.isEmpty()) {
                tlsContext.fireChannelReadComplete();
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            early.forEach(io.netty.util.ReferenceCountUtil::release);
            early.clear();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("direct TCP lane connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /** Counts the lane's bytes (after TLS: what the streams carry) into the link's peer table row. */
    private static final class LaneBytes extends ChannelDuplexHandler {
        private final PeerLink link;

        LaneBytes(PeerLink link) {
            this.link = link;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                link.laneBytesIn.addAndGet(b.readableBytes());
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf b) {
                link.laneBytesOut.addAndGet(b.readableBytes());
            }
            ctx.write(msg, promise);
        }
    }

    /** The listener's trust: a client certificate whose fingerprint a peer with a tunnel to this agent signaled. */
    private final class SignaledPeers extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("no certificate presented");
            }
            String fingerprint = TunnelCertificate.fingerprintOf(chain[0]);
            if (links.byFingerprint(fingerprint) == null) {
                throw new CertificateException("no tunnel with a peer that signaled " + fingerprint);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("the lane's listener checks clients only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("the lane's listener checks clients only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the lane's listener checks clients only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
