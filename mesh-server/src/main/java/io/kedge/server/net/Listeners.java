package io.kedge.server.net;

import io.kedge.common.net.NetTransport;
import io.kedge.server.binding.BindingService;
import io.kedge.server.metrics.RelayMetrics;
import io.kedge.server.turn.ClientTransport;
import io.kedge.server.turn.TurnService;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.DatagramChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client-facing sockets: UDP (one socket per event-loop thread with epoll), TCP and TLS, and
 * with RFC 5780 the extra UDP sockets on the alternate address and port. Binding is synchronous:
 * it happens once at startup, before any event loop serves traffic.
 */
public final class Listeners implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Listeners.class);

    /** What to listen on; a port of 0 picks a free one (tests). */
    public record Settings(InetAddress address, int port, int tlsPort, boolean udp, boolean tcp, SslContext tls,
                           InetAddress alternateAddress, int alternatePort, int threads, int idleTimeoutSeconds,
                           int maxConnections, String software) {
    }

    private final NetTransport transport;
    private final EventLoopGroup group;
    private final Settings settings;
    private final TurnService turn;
    private final BindingService binding;
    private final RelayMetrics metrics;
    private final UdpSockets udpSockets = new UdpSockets();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Channel> channels = new ArrayList<>();
    private InetSocketAddress udpAddress;
    private InetSocketAddress tcpAddress;
    private InetSocketAddress tlsAddress;

    public Listeners(NetTransport transport, EventLoopGroup group, Settings settings, TurnService turn, BindingService binding,
                     RelayMetrics metrics) {
        this.transport = transport;
        this.group = group;
        this.settings = settings;
        this.turn = turn;
        this.binding = binding;
        this.metrics = metrics;
    }

    public void start() throws InterruptedException {
        log.info("UDP sends: {}", !transport.isEpoll() ? "one datagram per send (nio)"
                : GsoCoalescer.supported() ? "batched per loop round (sendmmsg), equal-sized runs as UDP GSO"
                : "batched per loop round (sendmmsg), no UDP GSO on this kernel");
        try {
            int port = settings.port();
            if (settings.udp()) {
                udpAddress = bindUdp(new InetSocketAddress(settings.address(), port));
                port = udpAddress.getPort();
                if (settings.alternateAddress() != null) {
                    bindUdp(new InetSocketAddress(settings.address(), settings.alternatePort()));
                    bindUdp(new InetSocketAddress(settings.alternateAddress(), port));
                    bindUdp(new InetSocketAddress(settings.alternateAddress(), settings.alternatePort()));
                }
            }
            if (settings.tcp()) {
                tcpAddress = bindStream(new InetSocketAddress(settings.address(), port), ClientTransport.TCP, null);
            }
            if (settings.tls() != null) {
                tlsAddress = bindStream(new InetSocketAddress(settings.address(), settings.tlsPort()), ClientTransport.TLS, settings.tls());
            }
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
    }

    public InetSocketAddress udpAddress() {
        return udpAddress;
    }

    public InetSocketAddress tcpAddress() {
        return tcpAddress;
    }

    public InetSocketAddress tlsAddress() {
        return tlsAddress;
    }

    /** Whether every socket is still open. */
    public boolean healthy() {
        synchronized (channels) {
            return !channels.isEmpty() && channels.stream().allMatch(Channel::isActive);
        }
    }

    private InetSocketAddress bindUdp(InetSocketAddress address) throws InterruptedException {
        int sockets = transport.isEpoll() ? settings.threads() : 1;
        InetSocketAddress bound = address;
        for (int i = 0; i < sockets; i++) {
            Bootstrap b = new Bootstrap().group(group).channelFactory(transport.datagram())
                    .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                    .option(ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1024 * 1024, 4 * 1024 * 1024))
                    .handler(new ChannelInitializer<DatagramChannel>() {
                        @Override
                        protected void initChannel(DatagramChannel ch) {
                            if (transport.isEpoll() && GsoCoalescer.supported()) {
                                ch.pipeline().addLast("gso", new GsoCoalescer());
                            }
                            ch.pipeline().addLast("decoder", new DatagramDecoder(metrics))
                                    .addLast("encoder", new OutboundEncoder(false))
                                    .addLast("handler", new ClientHandler(ClientTransport.UDP, turn, binding, udpSockets, metrics,
                                            settings.software(), connections, settings.maxConnections()));
                        }
                    });
            if (transport.isEpoll()) {
                b.option(EpollChannelOption.SO_REUSEPORT, true);
            }
            Channel ch = b.bind(bound).sync().channel();
            bound = (InetSocketAddress) ch.localAddress();
            udpSockets.add(bound, ch);
            track(ch);
        }
        log.info("STUN/TURN on udp {} ({} socket{})", bound, sockets, sockets == 1 ? "" : "s");
        return bound;
    }

    private InetSocketAddress bindStream(InetSocketAddress address, ClientTransport kind, SslContext tls) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap().group(group).channelFactory(transport.server())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 128 * 1024))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (tls != null) {
                            p.addLast("tls", tls.newHandler(ch.alloc()));
                        }
                        p.addLast("idle", new IdleStateHandler(settings.idleTimeoutSeconds(), 0, 0, TimeUnit.SECONDS))
                                .addLast("decoder", new StreamFrameDecoder(metrics, kind.label()))
                                .addLast("encoder", new OutboundEncoder(true))
                                .addLast("handler", new ClientHandler(kind, turn, binding, udpSockets, metrics, settings.software(),
                                        connections, settings.maxConnections()));
                    }
                });
        Channel ch = b.bind(address).sync().channel();
        track(ch);
        InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
        log.info("STUN/TURN on {} {}", kind.label(), bound);
        return bound;
    }

    private void track(Channel ch) {
        synchronized (channels) {
            channels.add(ch);
        }
    }

    /** Stops accepting and receiving; allocations are the TURN service's to close. */
    @Override
    public void close() {
        List<Channel> open;
        synchronized (channels) {
            open = List.copyOf(channels);
            channels.clear();
        }
        for (Channel ch : open) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
