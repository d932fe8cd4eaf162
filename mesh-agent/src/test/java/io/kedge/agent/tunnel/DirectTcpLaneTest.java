package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.catalog.Protocol;
import io.kedge.common.net.NetTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.Promise;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The direct TCP lane between two agents' lanes over loopback (real sockets and TLS): probing,
 * streams to the receiver's own endpoint with half-close, and what it refuses.
 */
class DirectTcpLaneTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    final Agent a = new Agent("a");
    final Agent b = new Agent("b");
    ServerSocket echo;

    /** One agent's lane, its tunnels by the fingerprint their peers signaled. */
    final class Agent {
        final TunnelCertificate certificate;
        final PrometheusRegistry registry = new PrometheusRegistry();
        final Map<String, PeerLink> links = new ConcurrentHashMap<>();
        volatile InetSocketAddress allowed;
        final DirectTcpLane lane;

        Agent(String node) {
            certificate = new TunnelCertificate(node);
            lane = new DirectTcpLane(0, "edgemesh0", InterfaceExclusions.of(List.of()), certificate,
                    (protocol, target) -> target.equals(allowed) ? null : target + " is not on node " + node, new TunnelMetrics(registry),
                    group, links::get);
        }

        /** An open tunnel to {@code peer}, as signaling would have left it. */
        PeerLink linkTo(Agent peer, String signaledFingerprint) {
            PeerLink link = new PeerLink(peer == a ? "a" : "b", "s", this == a, new CompletableFuture<>());
            link.state = PeerLink.State.OPEN;
            link.peerFingerprint = signaledFingerprint;
            link.peerTcp = List.of(new InetSocketAddress(LOOPBACK, peer.lane.port()));
            links.put(signaledFingerprint, link);
            return link;
        }

        String metric(String name) throws Exception {
            return TunnelNode.metric(registry, name);
        }
    }

    @BeforeEach
    void start() throws Exception {
        a.lane.start();
        b.lane.start();
        assertThat(a.lane.port()).isPositive();
        assertThat(b.lane.port()).isPositive();
        echo = new ServerSocket(0, 50, LOOPBACK);
        b.allowed = new InetSocketAddress(LOOPBACK, echo.getLocalPort());
        Thread t = new Thread(this::serveEcho, "echo");
        t.setDaemon(true);
        t.start();
    }

    /** Echoes what it reads until the client half-closes, then sends "bye" and closes. */
    private void serveEcho() {
        while (!echo.isClosed()) {
            try (Socket s = echo.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                }
                out.write("bye".getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                // next client
            }
        }
    }

    @AfterEach
    void stop() throws Exception {
        a.lane.close();
        b.lane.close();
        echo.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Test
    void aProbeFindsThePeersLaneAndStreamsCarryBytesBothWaysWithHalfClose() throws Exception {
        PeerLink toB = laneFromAToB();
        assertThat(toB.directTcp.getPort()).isEqualTo(b.lane.port());
        assertThat(toB.laneProbe).isEqualTo("open");
        assertThat(a.metric("kedge_tunnel_direct_tcp_probes_total")).contains("result=\"open\"} 1.0");

        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        Channel stream = openStream(toB, b.allowed, received, new AtomicBoolean());
        stream.writeAndFlush(Unpooled.copiedBuffer("hello lane", StandardCharsets.UTF_8));
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("hello lane");
        // Half-close: the echo sees the end of our input and still answers after it.
        ((io.netty.channel.socket.DuplexChannel) stream).shutdownOutput().sync();
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("bye");
        // ...and its end comes back as the end of the stream's input.
        await().atMost(Duration.ofSeconds(10)).until(() -> ((io.netty.channel.socket.DuplexChannel) stream).isInputShutdown());
        stream.close().sync();
        assertThat(a.metric("kedge_tunnel_streams_opened_total")).contains("lane=\"tcp\"} 1.0");
        assertThat(toB.laneBytesOut.get()).isGreaterThanOrEqualTo("hello lane".length());
        await().atMost(Duration.ofSeconds(5)).until(() -> toB.streams.get() == 0);
        assertThat(a.lane.pinned()).isZero();
    }

    /**
     * A stream lives on its caller's loop when that loop runs sockets, epoll (the proxy's
     * default) as well as NIO, so relaying a chunk needs no hop between threads; a loop that runs
     * no sockets gets one of the lane's own.
     */
    @Test
    void aStreamLivesOnItsCallersLoopWhenThatLoopRunsSockets() throws Exception {
        PeerLink toB = laneFromAToB();
        EventLoopGroup proxyLoops = NetTransport.best().newGroup(1, "proxy-test");
        DefaultEventLoop noSockets = new DefaultEventLoop();
        try {
            EventLoop proxyLoop = proxyLoops.next();
            LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
            Channel stream = openStream(toB, b.allowed, received, new AtomicBoolean(), proxyLoop);
            assertThat(stream.eventLoop()).isSameAs(proxyLoop);
            assertThat(stream).isInstanceOf(NetTransport.best().socketChannelType());
            stream.writeAndFlush(Unpooled.copiedBuffer("hello lane", StandardCharsets.UTF_8));
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("hello lane");
            stream.close().sync();

            Channel other = openStream(toB, b.allowed, new LinkedBlockingQueue<>(), new AtomicBoolean(), noSockets);
            assertThat(other.eventLoop().parent()).isSameAs(group);
            other.close().sync();
        } finally {
            proxyLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            noSockets.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void theReceiverRefusesTargetsNotOnItsNodeAndTheLaneStays() throws Exception {
        PeerLink toB = laneFromAToB();
        AtomicBoolean fellBack = new AtomicBoolean();
        Promise<Channel> result = group.next().newPromise();
        a.lane.open(toB, new InetSocketAddress(LOOPBACK, 9), group.next(), result, () -> fellBack.set(true));
        assertThat(result.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(result.cause()).isInstanceOf(StreamOpenHandler.Refused.class).hasMessageContaining("is not on node b");
        assertThat(fellBack).isFalse();
        assertThat(toB.directTcp).isNotNull();
        assertThat(b.metric("kedge_tunnel_refused_streams_total")).contains("reason=\"not_local\"} 1.0");
    }

    @Test
    void aClientWhoseCertificateNoPeerSignaledFindsNoLane() throws Exception {
        PeerLink toB = a.linkTo(b, b.certificate.fingerprint());
        // b has a tunnel with someone else only: a's certificate is not one b was told about.
        b.linkTo(a, new TunnelCertificate("c").fingerprint());
        a.lane.probe(toB);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.metric("kedge_tunnel_direct_tcp_probes_total").contains("unreachable"));
        assertThat(toB.directTcp).isNull();
        assertThat(toB.laneProbe).isEqualTo("unreachable");
    }

    @Test
    void aListenerWhoseCertificateIsNotTheSignaledOneIsNoLane() throws Exception {
        PeerLink toB = a.linkTo(b, new TunnelCertificate("impostor").fingerprint());
        b.linkTo(a, a.certificate.fingerprint());
        a.lane.probe(toB);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.metric("kedge_tunnel_direct_tcp_probes_total").contains("unreachable"));
        assertThat(toB.directTcp).isNull();
        assertThat(toB.laneProbe).isEqualTo("unreachable");
    }

    @Test
    void aLaneThatStoppedAnsweringHandsTheStreamBackToQuic() throws Exception {
        PeerLink toB = laneFromAToB();
        b.lane.close();
        CompletableFuture<Boolean> fellBack = new CompletableFuture<>();
        Promise<Channel> result = group.next().newPromise();
        a.lane.open(toB, b.allowed, group.next(), result, () -> fellBack.complete(true));
        assertThat(fellBack.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(result.isDone()).isFalse(); // the fallback owns it now
        assertThat(toB.directTcp).isNull();
        assertThat(toB.laneProbe).isEqualTo("lost");
    }

    @Test
    void offeredAddressesAreParsedBackAndMalformedOnesSkipped() {
        List<String> lines = a.lane.candidateLines();
        assertThat(IceCandidates.directTcpAddresses(lines, DirectTcpLane.MAX_ADDRESSES))
                .allSatisfy(address -> assertThat(address.getPort()).isEqualTo(a.lane.port()))
                .hasSize(lines.size());
        assertThat(IceCandidates.directTcpAddresses(List.of(
                "candidate:kedge-tcp 1 tcp 1 198.51.100.7 20006 typ host tcptype passive",
                "candidate:kedge-tcp 1 tcp 1 example.com 20006 typ host tcptype passive",
                "candidate:kedge-tcp 1 tcp 1 198.51.100.8 0 typ host tcptype passive",
                "candidate:kedge-tcp 1 tcp 1 198.51.100.9 99999999999 typ host tcptype passive",
                "candidate:1 1 udp 2130706431 198.51.100.10 5000 typ host"), 8))
                .containsExactly(new InetSocketAddress("198.51.100.7", 20006));
        List<String> many = java.util.stream.IntStream.range(1, 20)
                .mapToObj(i -> "candidate:kedge-tcp 1 tcp 1 198.51.100." + i + " 20006 typ host tcptype passive").toList();
        assertThat(IceCandidates.directTcpAddresses(many, 8)).hasSize(8);
    }

    /** Tunnels between a and b as signaling leaves them, and a's lane to b once a probe found it. */
    private PeerLink laneFromAToB() {
        PeerLink toB = a.linkTo(b, b.certificate.fingerprint());
        b.linkTo(a, a.certificate.fingerprint());
        a.lane.probe(toB);
        await().atMost(Duration.ofSeconds(10)).until(() -> toB.directTcp != null);
        return toB;
    }

    /** Opens a stream on the lane; what it reads goes to {@code received} as text. */
    private Channel openStream(PeerLink link, InetSocketAddress target, LinkedBlockingQueue<String> received, AtomicBoolean fellBack)
            throws Exception {
        return openStream(link, target, received, fellBack, group.next());
    }

    /** Opens a stream on the lane for a caller on {@code loop}. */
    private Channel openStream(PeerLink link, InetSocketAddress target, LinkedBlockingQueue<String> received, AtomicBoolean fellBack,
                               EventLoop loop) throws Exception {
        Promise<Channel> result = group.next().newPromise();
        a.lane.open(link, target, loop, result, () -> fellBack.set(true));
        Channel stream = result.get(10, TimeUnit.SECONDS);
        stream.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                received.add(msg.toString(StandardCharsets.UTF_8));
            }
        });
        stream.config().setAutoRead(true);
        stream.read();
        return stream;
    }
}
