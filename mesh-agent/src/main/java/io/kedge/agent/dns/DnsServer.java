package io.kedge.agent.dns;

import io.kedge.common.net.NetTransport;
import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.dns.forward.Forwarder;
import io.kedge.agent.dns.forward.ResponseCache;
import io.kedge.agent.dns.forward.UpstreamClient;
import io.kedge.agent.dns.zone.ClusterZone;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's DNS server: UDP and TCP listeners on one address and port, answering the cluster zone
 * from the current {@link Catalog} and forwarding other names upstream (cached).
 *
 * <p>Wiring: {@code new DnsServer(DnsConfig.from(agentConfig), catalogStore::current, registry)},
 * {@link #start()}, and {@link #close()} at shutdown; {@link #problem()} fits a readiness check.
 *
 * <p>Threads: one event-loop group ({@code eventLoopThreads}, default one per CPU) does all socket
 * work, listeners and upstream queries alike. With epoll each thread has its own UDP socket on the
 * shared port (SO_REUSEPORT), so UDP load spreads over all of them.
 */
public final class DnsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
    /** Client queries over TCP are small; a longer frame is not a query we would answer. */
    static final int MAX_TCP_QUERY_BYTES = 4096;
    /** Largest UDP query answered; a longer one is answered FORMERR (reads take one byte more to see it). */
    static final int MAX_UDP_QUERY_BYTES = 4096;
    /** A read slot per datagram: one byte over the limit, so that a datagram cut there shows as too long. */
    private static final int UDP_READ_SLOT = MAX_UDP_QUERY_BYTES + 1;
    /** Datagrams one read takes at most on epoll (recvmmsg). */
    static final int DATAGRAMS_PER_READ = 16;
    private static final int BIND_ATTEMPTS = 5;
    /** Distinct query byte strings whose zone replies are kept (a few hundred bytes each). */
    static final int ZONE_REPLY_CACHE_ENTRIES = 20_000;

    private final DnsConfig config;
    private final Supplier<Catalog> catalog;
    private final PrometheusRegistry registry;
    private final List<Channel> channels = new ArrayList<>();
    private EventLoopGroup group;
    private DnsMetrics metrics;
    private Forwarder forwarder;
    private ResponseCache cache;
    private NetTransport transport;
    private volatile InetSocketAddress udpAddress;
    private volatile InetSocketAddress tcpAddress;
    private volatile boolean running;
    private volatile ClusterZone zone;

    /**
     * @param config   settings
     * @param catalog  the current catalog snapshot (read for every zone question; cheap)
     * @param registry where the server's metrics go
     */
    public DnsServer(DnsConfig config, Supplier<Catalog> catalog, PrometheusRegistry registry) {
        this.config = config;
        this.catalog = catalog;
        this.registry = registry;
    }

    /**
     * Binds the listeners and starts serving. Fails with {@link IllegalStateException} naming the
     * address when a listener cannot bind.
     */
    public synchronized void start() {
        if (group != null) {
            throw new IllegalStateException("already started");
        }
        transport = NetTransport.best();
        int threads = config.eventLoopThreads() > 0 ? config.eventLoopThreads() : Runtime.getRuntime().availableProcessors();
        group = transport.newGroup(threads, "dns");
        metrics = new DnsMetrics(registry);
        try {
            List<InetSocketAddress> upstreams = upstreams();
            cache = new ResponseCache(config.cacheMaxEntries(), config.maxCacheTtlSeconds(), config.negativeCacheTtlSeconds(),
                    config.serveStaleSeconds(), System::nanoTime);
            forwarder = new Forwarder(upstreams, new UpstreamClient(group, transport), cache, metrics, System::nanoTime,
                    config.upstreamTimeoutMillis(), config.maxInFlight(), config.udpPayloadSize());
            zone = new ClusterZone(config.zoneName(), config.ttlSeconds(), config.listenInetAddress(), catalog);
            QueryResolver resolver = new QueryResolver(zone, forwarder, config.udpPayloadSize());
            QueryHandler handler = new QueryHandler(resolver, metrics);
            TcpConnectionGuard guard = new TcpConnectionGuard(config.maxTcpConnections(), metrics);
            ZoneReplyCache replies = new ZoneReplyCache(ZONE_REPLY_CACHE_ENTRIES);
            metrics.gauges(forwarder::inFlight, cache::size, guard::open);
            bind(new Handlers(handler, guard, replies, new CachedReplyHandler(replies, catalog, metrics)), threads);
            running = true;
            log.info("DNS on {} (udp, {} sockets) and {} (tcp), zone {}, transport {}, upstreams {}", udpAddress,
                    transport.isEpoll() ? threads : 1, tcpAddress, config.zone(), transport, upstreams);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The upstream servers: configured ones, else resolv.conf's; never this server itself (a loop). */
    private List<InetSocketAddress> upstreams() {
        List<InetSocketAddress> listed = config.upstreamServers().isEmpty()
                ? ResolvConf.nameservers(Path.of(config.resolvConf())) : config.upstreamAddresses();
        List<InetSocketAddress> out = new ArrayList<>();
        InetAddress self = config.listenInetAddress();
        for (InetSocketAddress u : listed) {
            boolean sameAddress = u.getAddress().equals(self) || (self.isAnyLocalAddress() && u.getAddress().isLoopbackAddress());
            if (sameAddress && u.getPort() == config.listenPort()) {
                log.warn("not forwarding to {}: that is this DNS server", u);
                continue;
            }
            out.add(u);
        }
        if (out.isEmpty()) {
            log.warn("no upstream DNS servers: names outside {} will get SERVFAIL", config.zone());
        }
        return out;
    }

    /** The shared (sharable) handlers of both listeners. */
    private record Handlers(QueryHandler query, TcpConnectionGuard guard, ZoneReplyCache replies, CachedReplyHandler cached) {
    }

    private void bind(Handlers handlers, int threads) {
        InetAddress address = config.listenInetAddress();
        RuntimeException last = null;
        for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
            try {
                bindOnce(address, handlers, threads);
                return;
            } catch (RuntimeException e) {
                closeChannels();
                last = e;
                if (config.listenPort() != 0) {
                    break;
                }
                // Port 0: the UDP port chosen may be taken for TCP; try another.
            }
        }
        throw last;
    }

    private void bindOnce(InetAddress address, Handlers handlers, int threads) {
        DatagramQueryDecoder decoder = new DatagramQueryDecoder(metrics, config.udpPayloadSize());
        DatagramReplyEncoder encoder = new DatagramReplyEncoder(metrics, handlers.replies());
        ChannelInboundHandlerAdapter udpErrors = new UdpErrorLogger();
        Bootstrap udp = new Bootstrap().group(group).channelFactory(transport.datagram())
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(UDP_READ_SLOT))
                .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(encoder, handlers.cached(), decoder, handlers.query(), udpErrors);
                    }
                });
        int sockets = transport.isEpoll() ? threads : 1;
        if (transport.isEpoll()) {
            udp.option(EpollChannelOption.SO_REUSEPORT, true);
            // recvmmsg: up to DATAGRAMS_PER_READ queries per system call, each in its own slot of one
            // buffer (a longer datagram is cut at its slot, as with one read per datagram).
            udp.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, UDP_READ_SLOT)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(UDP_READ_SLOT * DATAGRAMS_PER_READ));
        }
        int port = config.listenPort();
        for (int i = 0; i < sockets; i++) {
            Channel ch = awaitBind(udp.bind(address, port), "udp", address, port);
            channels.add(ch);
            port = ((InetSocketAddress) ch.localAddress()).getPort();
        }
        udpAddress = (InetSocketAddress) channels.get(0).localAddress();

        StreamReplyEncoder tcpEncoder = new StreamReplyEncoder(metrics, handlers.replies());
        ServerBootstrap tcp = new ServerBootstrap().group(group).channelFactory(transport.server())
                .option(ChannelOption.SO_BACKLOG, 256)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 128 * 1024))
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(
                                new IdleStateHandler(config.tcpIdleTimeoutSeconds(), 0, 0, TimeUnit.SECONDS),
                                new LengthFieldBasedFrameDecoder(MAX_TCP_QUERY_BYTES, 0, 2, 0, 2),
                                tcpEncoder,
                                handlers.cached(),
                                new StreamQueryDecoder(metrics),
                                handlers.query(),
                                handlers.guard());
                    }
                });
        Channel server = awaitBind(tcp.bind(address, port), "tcp", address, port);
        channels.add(server);
        tcpAddress = (InetSocketAddress) server.localAddress();
    }

    private static Channel awaitBind(io.netty.channel.ChannelFuture bind, String proto, InetAddress address, int port) {
        bind.awaitUninterruptibly();
        if (!bind.isSuccess()) {
            throw new IllegalStateException("cannot listen on " + proto + " " + address.getHostAddress() + ":" + port + ": "
                    + bind.cause().getMessage(), bind.cause());
        }
        return bind.channel();
    }

    /** Where the UDP listener is bound (its port is the actual one when the config said 0). */
    /** Every record of the cluster zone as served now (zone-file lines), for {@code meshctl dns}. */
    public List<String> records() {
        ClusterZone z = zone;
        return z == null ? List.of() : z.records();
    }

    public InetSocketAddress udpAddress() {
        return udpAddress;
    }

    public InetSocketAddress tcpAddress() {
        return tcpAddress;
    }

    /** The upstream servers in use. */
    public List<InetSocketAddress> upstreamServers() {
        return forwarder == null ? List.of() : forwarder.upstreams();
    }

    /** For a readiness check: null while serving, else why not. */
    public String problem() {
        return running ? null : "DNS server is not running";
    }

    private void closeChannels() {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly();
        }
        channels.clear();
    }

    @Override
    public synchronized void close() {
        running = false;
        closeChannels();
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            group = null;
        }
        if (metrics != null) {
            metrics.unregister();
            metrics = null;
        }
    }

    /** UDP sockets survive errors (an ICMP error for one client is no reason to stop serving). */
    private static final class UdpErrorLogger extends ChannelInboundHandlerAdapter {
        @Override
        public boolean isSharable() {
            return true;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("UDP listener error: {}", cause.toString());
        }
    }
}
