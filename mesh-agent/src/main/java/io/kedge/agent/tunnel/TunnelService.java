package io.kedge.agent.tunnel;

import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.tunnel.turn.TurnClient;
import io.kedge.common.signaling.SignalMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cross-node tunnel. It keeps a signaling session with every configured mesh-server (any one
 * suffices), and when the proxy needs a node it has no tunnel to, it offers ICE to that node
 * through a server both are registered with, lets ice4j pick the best working pair (host, then
 * server-reflexive, then relayed), and runs QUIC over that pair with certificates pinned through
 * signaling. Each proxied TCP connection or UDP session is one QUIC stream. A tunnel that fails or
 * idles out is dropped, and the next stream to that node sets up a new one.
 */
public final class TunnelService implements io.kedge.agent.tunnel.Tunnel, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TunnelService.class);
    private static final String ALPN = "kedge-tunnel/1";

    /** What the service needs to run. */
    public record Settings(String nodeName, List<String> meshServers, SslContext signalingTls, Supplier<SignalMessage.Register> registration,
                           int heartbeatSeconds, int idleTimeoutSeconds, int setupTimeoutSeconds, boolean holePunch, int listenPort,
                           String meshBridgeDevice, PathUpgradePolicy pathUpgrades, InterfaceExclusions iceExclusions, int directTcpPort) {
        /** {@code directTcpPort}: the direct TCP lane's listener port, 0 for any free one, -1 for no lane. */
        public Settings {
            pathUpgrades = pathUpgrades == null ? PathUpgradePolicy.DEFAULT : pathUpgrades;
            iceExclusions = iceExclusions == null ? InterfaceExclusions.of(InterfaceExclusions.DEFAULT_PATTERNS) : iceExclusions;
        }

        /** Settings with the default interface exclusions and a direct TCP lane on any free port. */
        public Settings(String nodeName, List<String> meshServers, SslContext signalingTls, Supplier<SignalMessage.Register> registration,
                        int heartbeatSeconds, int idleTimeoutSeconds, int setupTimeoutSeconds, boolean holePunch, int listenPort,
                        String meshBridgeDevice, PathUpgradePolicy pathUpgrades) {
            this(nodeName, meshServers, signalingTls, registration, heartbeatSeconds, idleTimeoutSeconds, setupTimeoutSeconds, holePunch,
                    listenPort, meshBridgeDevice, pathUpgrades, null, 0);
        }

        /** Settings with the default path-upgrade policy. */
        public Settings(String nodeName, List<String> meshServers, SslContext signalingTls, Supplier<SignalMessage.Register> registration,
                        int heartbeatSeconds, int idleTimeoutSeconds, int setupTimeoutSeconds, boolean holePunch, int listenPort,
                        String meshBridgeDevice) {
            this(nodeName, meshServers, signalingTls, registration, heartbeatSeconds, idleTimeoutSeconds, setupTimeoutSeconds, holePunch,
                    listenPort, meshBridgeDevice, PathUpgradePolicy.DEFAULT, null, 0);
        }
    }

    /** A QUIC connection being set up over a datagram path: the path, the codec's channel, and the connection once it is up. */
    record QuicPath(DatagramPath path, Channel datagrams, CompletableFuture<QuicChannel> connection) {
    }

    private final Settings settings;
    private final LocalTargets localTargets;
    private final TunnelMetrics metrics;
    private final TunnelCertificate certificate;
    private final QuicTls tls;
    private final EventLoopGroup group;
    private final ExecutorService setup;
    private final PathUpgrades upgrades;
    /** Null when the settings turned the direct TCP lane off. */
    private final DirectTcpLane lane;
    private final List<SignalingSession> sessions = new ArrayList<>();
    private final Map<String, PeerLink> links = new ConcurrentHashMap<>();
    /** Two ICE failures to a peer within five minutes send its next tunnels over the TCP relay. */
    private final IceFailures iceFailures = new IceFailures(java.time.Duration.ofMinutes(5), 2, System::nanoTime);
    /**
     * Setup attempts per wait for a peer: ICE, ICE again (a check list can fail on a loaded host or
     * a lost burst of checks), then the TCP relay when the mesh-server offers one.
     */
    static final int MAX_SETUP_ATTEMPTS = 3;
    /** How long UDP to a mesh-server that went unanswered is taken for blocked before gathering tries it again. */
    private static final long UDP_UNANSWERED_HOLD_NANOS = TimeUnit.MINUTES.toNanos(2);
    /** mesh-servers whose relays did not answer this agent over UDP, until when (nanoTime). */
    private final Map<SignalingSession, Long> udpUnansweredUntil = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public TunnelService(Settings settings, LocalTargets localTargets, io.prometheus.metrics.model.registry.PrometheusRegistry registry) {
        IceDefaults.apply(settings.meshBridgeDevice(), settings.iceExclusions());
        this.settings = settings;
        this.localTargets = localTargets;
        this.metrics = new TunnelMetrics(registry);
        this.certificate = new TunnelCertificate(settings.nodeName());
        this.tls = new QuicTls(certificate, ALPN);
        this.group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("tunnel", true), NioIoHandler.newFactory());
        this.setup = Executors.newCachedThreadPool(new DefaultThreadFactory("tunnel-setup", true));
        this.upgrades = new PathUpgrades(settings, this, group, setup, metrics, certificate.fingerprint());
        this.lane = settings.directTcpPort() < 0 ? null : new DirectTcpLane(settings.directTcpPort(), settings.meshBridgeDevice(),
                settings.iceExclusions(), certificate, localTargets, metrics, group, this::linkSignaling);
    }

    /** The link (not closed) whose peer signaled {@code fingerprint}, or null. */
    private PeerLink linkSignaling(String fingerprint) {
        for (PeerLink link : links.values()) {
            if (link.state != PeerLink.State.CLOSED && fingerprint.equals(link.peerFingerprint)) {
                return link;
            }
        }
        return null;
    }

    public void start() {
        if (lane != null) {
            lane.start(); // before any offer, which carries its addresses
        }
        SignalingSession.Listener listener = new SignalingSession.Listener() {
            @Override
            public void registered(SignalingSession session) {
                metrics.signalingSessions(registeredCount());
            }

            @Override
            public void message(SignalingSession session, SignalMessage message) {
                onSignal(session, message);
            }

            @Override
            public void lost(SignalingSession session) {
                metrics.signalingSessions(registeredCount());
                closeRelayedThrough(session);
            }
        };
        for (String server : settings.meshServers()) {
            SignalingSession s = new SignalingSession(server, settings.signalingTls(), settings.registration(), group, listener,
                    settings.heartbeatSeconds());
            sessions.add(s);
            s.start();
        }
        group.scheduleAtFixedRate(this::closeIdle, 5, 5, TimeUnit.SECONDS);
        setup.execute(tls::warm);
    }

    private int registeredCount() {
        return (int) sessions.stream().filter(SignalingSession::registered).count();
    }

    /** Whether at least one mesh-server has this agent registered. */
    public boolean connected() {
        return registeredCount() > 0;
    }

    @Override
    public boolean serves(String nodeName) {
        return !closed && nodeName != null && !nodeName.equals(settings.nodeName());
    }

    @Override
    public Future<Channel> open(String nodeName, InetSocketAddress target, Protocol protocol, EventLoop loop) {
        Promise<Channel> result = loop.newPromise();
        PeerLink link = link(nodeName);
        link.ready.whenComplete((quic, error) -> {
            if (error != null) {
                result.tryFailure(error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error);
                return;
            }
            // A retried setup completes the same future from a newer link, and an upgraded link has
            // moved to another connection: streams go on the live link's current connection.
            PeerLink live = links.get(nodeName);
            PeerLink used = live != null && live.state == PeerLink.State.OPEN && live.quic != null ? live : link;
            QuicChannel current = used == live ? live.quic : quic;
            used.touch();
            if (protocol == Protocol.TCP && lane != null && used.directTcp != null) {
                lane.open(used, target, loop, result, () -> openOnQuic(used, current, target, protocol, result));
            } else {
                openOnQuic(used, current, target, protocol, result);
            }
        });
        return result;
    }

    /** Opens the stream as a stream of the link's QUIC connection. */
    private void openOnQuic(PeerLink used, QuicChannel current, InetSocketAddress target, Protocol protocol, Promise<Channel> result) {
        metrics.streamOpened("quic");
        current.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                countStream(used, stream);
                stream.config().setOption(io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE, true);
                stream.pipeline().addLast("open", new StreamOpenHandler(protocol, target, result));
                if (protocol == Protocol.UDP) {
                    stream.pipeline().addLast("frames", new LengthFieldBasedFrameDecoder(65535 + 2, 0, 2, 0, 2))
                            .addLast("framer", new LengthFieldPrepender(2));
                }
            }
        }).addListener(f -> {
            if (!f.isSuccess()) {
                result.tryFailure(f.cause());
            }
        });
    }

    private void countStream(PeerLink link, Channel stream) {
        link.streams.incrementAndGet();
        // Per connection as well: a connection left behind by a path upgrade drains until its last stream ends.
        AtomicInteger onConnection = PathUpgrades.streamsOn(stream.parent());
        onConnection.incrementAndGet();
        stream.closeFuture().addListener(f -> {
            link.streams.decrementAndGet();
            onConnection.decrementAndGet();
        });
    }

    /** The link to {@code node}: the open or connecting one, or a new offer. */
    private synchronized PeerLink link(String node) {
        PeerLink existing = links.get(node);
        if (existing != null && existing.state != PeerLink.State.CLOSED) {
            return existing;
        }
        PeerLink link = new PeerLink(node, UUID.randomUUID().toString(), true, new CompletableFuture<>());
        links.put(node, link);
        armSetupTimeout(link);
        setup.execute(() -> offer(link));
        return link;
    }

    private void armSetupTimeout(PeerLink link) {
        group.schedule(() -> {
            if (link.state == PeerLink.State.CONNECTING) {
                fail(link, "setup", new TimeoutException("no tunnel to " + link.peer + " after " + settings.setupTimeoutSeconds() + " s"));
            }
        }, settings.setupTimeoutSeconds(), TimeUnit.SECONDS);
    }

    private void offer(PeerLink link) {
        try {
            List<SignalingSession> registered = sessions.stream().filter(SignalingSession::registered).toList();
            if (registered.isEmpty()) {
                throw new IOException("not registered with any mesh-server");
            }
            // The relays of the mesh-server the offer travels through, not of every server: the
            // answerer gathers at the same server, so relayed pairs meet on one relay, and a dead
            // server's relays never end up in a new tunnel.
            SignalingSession via = registered.get(0);
            link.signaling = via;
            if (iceFailures.recent(link.peer) && offersTcpRelay(via)) {
                // ICE to this peer failed lately: offer only the allocation over TCP.
                allocateTcpRelay(link, via);
                sendDescription(link, via, SignalMessage.Description.OFFER);
                return;
            }
            link.ice = iceSession(true, via);
            if (udpBlocked(link.ice, via)) {
                link.noDirectPath = true; // no direct path to look for later either
                // Announce an allocation held over TCP as well: the answerer meets us there, unless it
                // shares our LAN (our host candidates), where ICE works without leaving the site.
                allocateTcpRelay(link, via);
            }
            sendDescription(link, via, SignalMessage.Description.OFFER);
        } catch (Exception e) {
            fail(link, "offer", e);
        }
    }

    /**
     * A new ICE session gathering at {@code via}'s relays; only host candidates while UDP to that
     * mesh-server went unanswered lately: gathering would wait for the harvest timeout (seconds)
     * to learn the same again, and the tunnel takes the TCP relay anyway.
     */
    private IceSession iceSession(boolean controlling, SignalingSession via) throws IOException {
        Long until = udpUnansweredUntil.get(via);
        boolean knownBlocked = until != null && System.nanoTime() - until < 0 && offersTcpRelay(via);
        IceSession ice = new IceSession(controlling, knownBlocked ? List.of() : via.relays(), settings.holePunch() && !knownBlocked,
                settings.listenPort(), true, settings.iceExclusions());
        if (!knownBlocked && via.relays().stream().anyMatch(r -> r.transport().equals("udp"))) {
            if (ice.reachesRelaysOverUdp()) {
                udpUnansweredUntil.remove(via);
            } else {
                udpUnansweredUntil.put(via, System.nanoTime() + UDP_UNANSWERED_HOLD_NANOS);
            }
        }
        return ice;
    }

    /** No UDP answer from any relay while a TCP or TLS relay is on offer: this site drops UDP, ICE cannot work. */
    private static boolean udpBlocked(IceSession ice, SignalingSession via) {
        return !ice.reachesRelaysOverUdp() && offersTcpRelay(via);
    }

    static boolean offersTcpRelay(SignalingSession via) {
        return via.relays().stream().anyMatch(r -> !r.transport().equals("udp"));
    }

    /**
     * Holds a TURN allocation on {@code via}'s relay over TCP (TLS when that is all it offers, or
     * TCP fails) for the link: what the site cannot send over UDP goes over TCP to the relay, and
     * only the relay's side of the allocation speaks UDP.
     */
    private void allocateTcpRelay(PeerLink link, SignalingSession via) throws Exception {
        List<RelayServer> candidates = via.relays().stream().filter(r -> !r.transport().equals("udp"))
                .sorted(Comparator.comparing(r -> r.transport().equals("tcp") ? 0 : 1)).toList();
        Exception last = new IOException("mesh-server " + via.serverName() + " offers no TURN over TCP or TLS");
        for (RelayServer r : candidates) {
            TurnClient turn = null;
            try {
                turn = TurnClient.connect(group, r.address(), r.transport().equals("tls") ? settings.signalingTls() : null, r.username(),
                        r.password()).get(settings.setupTimeoutSeconds(), TimeUnit.SECONDS);
                link.turn = turn;
                InetSocketAddress relayed = turn.allocate().get(settings.setupTimeoutSeconds(), TimeUnit.SECONDS);
                if (link.state == PeerLink.State.CLOSED) {
                    throw new IOException("tunnel to " + link.peer + " given up while allocating");
                }
                log.info("tunnel to {}: UDP relayed address {} held over {} to {}", link.peer, relayed, r.transport(), r.address());
                TurnClient held = turn;
                turn.closeFuture().thenRun(() -> {
                    if (link.turn == held && link.state != PeerLink.State.CLOSED) {
                        close(link, "TURN connection to " + r.address() + " lost");
                    }
                });
                return;
            } catch (Exception e) {
                link.turn = null;
                if (turn != null) {
                    turn.close();
                }
                last = e instanceof java.util.concurrent.ExecutionException && e.getCause() instanceof Exception c ? c : e;
                log.debug("no TURN allocation over {} at {}: {}", r.transport(), r.address(), last.toString());
            }
        }
        throw last;
    }

    private void sendDescription(PeerLink link, SignalingSession via, String kind) throws IOException {
        link.signaling = via;
        IceSession ice = link.ice;
        TurnClient turn = link.turn;
        List<String> candidates = new ArrayList<>(ice == null ? List.of() : ice.candidates());
        if (turn != null) {
            candidates.add(IceCandidates.tcpRelay(turn.relayed()));
        }
        if (lane != null) {
            candidates.addAll(lane.candidateLines());
        }
        SignalMessage.Description d = new SignalMessage.Description(settings.nodeName(), link.peer, link.session, kind,
                ice == null ? IceCandidates.TCP_RELAY : ice.ufrag(), ice == null ? UUID.randomUUID().toString() : ice.password(),
                candidates, certificate.fingerprint());
        if (!via.send(d)) {
            throw new IOException("mesh-server " + via.serverName() + " connection is down");
        }
    }

    private void onSignal(SignalingSession session, SignalMessage message) {
        if (message instanceof SignalMessage.Description d) {
            switch (d.kind()) {
                case SignalMessage.Description.OFFER -> onOffer(session, d);
                case SignalMessage.Description.ANSWER -> onAnswer(d);
                case SignalMessage.Description.UPGRADE_OFFER -> upgrades.onOffer(session, links.get(d.from()), d);
                case SignalMessage.Description.UPGRADE_ANSWER -> upgrades.onAnswer(links.get(d.from()), d);
                default -> log.debug("description of unknown kind {} from {}", d.kind(), d.from());
            }
        } else if (message instanceof SignalMessage.Bye b) {
            PeerLink link = links.get(b.from());
            if (link != null && link.session.equals(b.session())) {
                close(link, "peer said bye: " + b.reason());
            }
        } else if (message instanceof SignalMessage.Failure f && f.session() != null) {
            retryOrFail(f);
        }
    }

    /** The peer was unknown to that server: offer through the next one where we are registered. */
    private void retryOrFail(SignalMessage.Failure f) {
        for (PeerLink link : links.values()) {
            if (link.session.equals(f.session()) && link.offerer && link.state == PeerLink.State.CONNECTING) {
                List<SignalingSession> registered = sessions.stream().filter(SignalingSession::registered).toList();
                int at = registered.indexOf(link.signaling);
                if (at >= 0 && at + 1 < registered.size()) {
                    setup.execute(() -> {
                        try {
                            sendDescription(link, registered.get(at + 1), SignalMessage.Description.OFFER);
                        } catch (IOException e) {
                            fail(link, "offer", e);
                        }
                    });
                } else {
                    fail(link, "signaling", new IOException(f.message()));
                }
            }
        }
    }

    private void onOffer(SignalingSession session, SignalMessage.Description offer) {
        PeerLink answer;
        synchronized (this) {
            PeerLink existing = links.get(offer.from());
            CompletableFuture<QuicChannel> ready = new CompletableFuture<>();
            if (existing != null && existing.state == PeerLink.State.CONNECTING && existing.offerer) {
                // Both sides offered at once: the smaller node name stays the offerer.
                if (settings.nodeName().compareTo(offer.from()) < 0) {
                    return;
                }
                ready = existing.ready; // whoever waits on our offer gets the answered link
                existing.state = PeerLink.State.CLOSED;
                release(existing);
            } else if (existing != null && existing.state != PeerLink.State.CLOSED) {
                // The peer set up anew (it restarted, or lost the old path): the old link is dead.
                close(existing, "replaced by a new offer");
            }
            answer = new PeerLink(offer.from(), offer.session(), false, ready);
            learnPeer(answer, offer);
            links.put(offer.from(), answer);
        }
        armSetupTimeout(answer);
        setup.execute(() -> {
            try {
                answer.signaling = session;
                InetSocketAddress peerRelay = IceCandidates.tcpRelay(offer.candidates());
                // On one LAN, ICE over host candidates needs no UDP beyond the site, blocked or not.
                boolean sameLan = IceCandidates.hostAddresses(offer.candidates()).stream().anyMatch(IceSession::onLocalSubnet);
                boolean iceFailedLately = iceFailures.recent(offer.from()) && offersTcpRelay(session);
                if (!iceFailedLately && (peerRelay == null || sameLan)) {
                    answer.ice = iceSession(false, session);
                }
                // Seen now, so that a later path upgrade offer finds no direct path to try from here.
                answer.noDirectPath = answer.ice != null && udpBlocked(answer.ice, session);
                if (iceFailedLately || (!sameLan && (peerRelay != null || answer.noDirectPath))) {
                    closeIce(answer);
                    answerOverTcpRelay(answer, session, offer, peerRelay);
                } else {
                    sendDescription(answer, session, SignalMessage.Description.ANSWER);
                    connect(answer, offer);
                }
            } catch (Exception e) {
                fail(answer, "answer", e);
            }
        });
    }

    private void onAnswer(SignalMessage.Description d) {
        PeerLink link = links.get(d.from());
        if (link == null || !link.offerer || !link.session.equals(d.session()) || link.state != PeerLink.State.CONNECTING) {
            log.debug("answer from {} for no pending offer", d.from());
            return;
        }
        learnPeer(link, d);
        setup.execute(() -> {
            InetSocketAddress peerRelay = IceCandidates.tcpRelay(d.candidates());
            if (peerRelay != null) {
                closeIce(link);
                connectOverTcpRelay(link, d, peerRelay);
            } else {
                // The answerer chose ICE (it shares our LAN): the allocation over TCP is not needed.
                TurnClient turn = link.turn;
                link.turn = null;
                if (turn != null) {
                    turn.close();
                }
                connect(link, d);
            }
        });
    }

    /** What the peer's offer or answer says about it beyond ICE: its certificate and where its direct TCP lane listens. */
    private static void learnPeer(PeerLink link, SignalMessage.Description d) {
        link.peerFingerprint = d.fingerprint();
        link.peerTcp = List.copyOf(IceCandidates.directTcpAddresses(d.candidates(), DirectTcpLane.MAX_ADDRESSES));
    }

    private static void closeIce(PeerLink link) {
        IceSession ice = link.ice;
        link.ice = null;
        if (ice != null) {
            ice.close();
        }
    }

    /**
     * Either side cannot use UDP: the answerer holds an allocation over TCP, lets the relay's
     * addresses reach it (the offerer's allocation is on the same relay, announced or not yet
     * made), starts the QUIC server on it and only then answers with its relayed address.
     */
    private void answerOverTcpRelay(PeerLink link, SignalingSession via, SignalMessage.Description offer, InetSocketAddress peerRelay)
            throws Exception {
        allocateTcpRelay(link, via);
        TurnClient turn = link.turn;
        turn.permit(peerRelay != null ? peerRelay.getAddress() : turn.relayed().getAddress())
                .get(settings.setupTimeoutSeconds(), TimeUnit.SECONDS);
        if (peerRelay != null) {
            turn.bind(peerRelay).get(settings.setupTimeoutSeconds(), TimeUnit.SECONDS);
        }
        startQuic(link, new TurnDatagramPath(turn, peerRelay, group), PathKind.RELAYED_TCP, turn.relayed().getAddress().getHostAddress(),
                offer.fingerprint());
        sendDescription(link, via, SignalMessage.Description.ANSWER);
    }

    /** The answerer meets us through its allocation held over TCP: ours is (or now becomes) one too, and QUIC runs between the two. */
    private void connectOverTcpRelay(PeerLink link, SignalMessage.Description answer, InetSocketAddress peerRelay) {
        try {
            if (link.turn == null) {
                allocateTcpRelay(link, link.signaling);
            }
            TurnClient turn = link.turn;
            turn.bind(peerRelay).get(settings.setupTimeoutSeconds(), TimeUnit.SECONDS);
            startQuic(link, new TurnDatagramPath(turn, peerRelay, group), PathKind.RELAYED_TCP,
                    turn.relayed().getAddress().getHostAddress(), answer.fingerprint());
        } catch (Exception e) {
            fail(link, "tcp-relay", e);
        }
    }

    private void connect(PeerLink link, SignalMessage.Description remote) {
        IceSession ice = link.ice;
        if (ice == null) {
            fail(link, "ice", new IOException("no ICE session"));
            return;
        }
        ice.connect(remote.ufrag(), remote.pwd(), remote.candidates()).whenComplete((selected, error) -> {
            if (error != null) {
                fail(link, "ice", error);
                return;
            }
            setup.execute(() -> {
                try {
                    startQuic(link, iceBridge(link, selected), selected.path(), selected.via(), remote.fingerprint());
                } catch (IOException e) {
                    fail(link, "quic", e);
                }
            });
        });
    }

    /** The datagram path over ICE's selected pair, for the QUIC connection of {@code link}. */
    DatagramPath iceBridge(PeerLink link, IceSession.Selected selected) throws IOException {
        return new IceDatagramBridge(selected.socket(), selected.remote(), link.peer);
    }

    private void startQuic(PeerLink link, DatagramPath bridge, PathKind path, String via, String remoteFingerprint) {
        try {
            link.path = path;
            link.via = via;
            link.bridge = bridge;
            QuicPath quic = runQuic(link, bridge, remoteFingerprint);
            link.datagrams = quic.datagrams();
            quic.connection().whenComplete((q, error) -> {
                if (error != null) {
                    fail(link, "quic", error);
                } else {
                    opened(link, q);
                }
            });
        } catch (Exception e) {
            fail(link, "quic", e);
        }
    }

    /**
     * Runs a QUIC connection to {@code link}'s peer over {@code bridge}, the peer's certificate
     * pinned to {@code remoteFingerprint}: the offerer connects as the client, the answerer serves
     * the peer's connection. Streams the peer opens on it are accepted for {@code link}. Both a
     * tunnel's setup and its path upgrades (a second connection on a better path) start here.
     */
    QuicPath runQuic(PeerLink link, DatagramPath bridge, String remoteFingerprint) throws Exception {
        ChannelHandler streams = new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                countStream(link, stream);
                stream.pipeline().addLast("accept", new StreamAcceptHandler(localTargets, metrics, link::touch));
            }
        };
        CompletableFuture<QuicChannel> connection = new CompletableFuture<>();
        Channel udp = null;
        // The peer's certificate is expected under a key of this connection's own (a link has two
        // while it moves paths), for as long as its codec channel lives.
        String pin = tls.expect(remoteFingerprint);
        try {
            if (link.offerer) {
                udp = bindCodec(transportSettings(new QuicClientCodecBuilder()).sslEngineProvider(q -> tls.clientEngine(q, pin)).build());
                udp.closeFuture().addListener(f -> tls.forget(pin));
                bridge.start(udp.localAddress());
                QuicChannel quic = QuicChannel.newBootstrap(udp).streamHandler(streams).handler(new ChannelInboundHandlerAdapter())
                        .streamOption(io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE, true)
                        .remoteAddress(bridge.address()).connect().get(settings.setupTimeoutSeconds(), TimeUnit.SECONDS);
                connection.complete(quic);
            } else {
                udp = bindCodec(transportSettings(new QuicServerCodecBuilder()).sslEngineProvider(q -> tls.serverEngine(q, pin))
                        .tokenHandler(InsecureQuicTokenHandler.INSTANCE)
                        .handler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                if (!connection.complete((QuicChannel) ctx.channel())) {
                                    ctx.close(); // one connection per path
                                }
                                ctx.fireChannelActive();
                            }
                        })
                        .streamOption(io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE, true)
                        .streamHandler(streams).build());
                udp.closeFuture().addListener(f -> tls.forget(pin));
                bridge.start(udp.localAddress());
            }
            return new QuicPath(bridge, udp, connection);
        } catch (Exception e) {
            if (udp != null) {
                udp.close();
            } else {
                tls.forget(pin);
            }
            throw e;
        }
    }

    private <B extends QuicCodecBuilder<B>> B transportSettings(B builder) {
        // Idle: a dead path (peer gone, relay gone) ends the connection; the next stream sets up anew.
        return builder.maxIdleTimeout(Math.max(5, 3L * settings.heartbeatSeconds()), TimeUnit.SECONDS)
                .initialMaxData(16L * 1024 * 1024)
                .initialMaxStreamDataBidirectionalLocal(2L * 1024 * 1024)
                .initialMaxStreamDataBidirectionalRemote(2L * 1024 * 1024)
                .initialMaxStreamsBidirectional(10_000)
                .initialMaxStreamsUnidirectional(0)
                // 1,350-byte datagrams (as common QUIC stacks send) leave room for TURN's 36-byte
                // Send indication and IPv4/IPv6 headers under a 1,500-byte MTU, and carry 12 % more per
                // packet than QUIC's 1,200-byte floor, the tunnel's cost being per packet.
                .maxRecvUdpPayloadSize(1350)
                .maxSendUdpPayloadSize(1350);
    }

    private Channel bindCodec(ChannelHandler codec) throws InterruptedException {
        return new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    private void opened(PeerLink link, QuicChannel quic) {
        synchronized (this) {
            if (link.state != PeerLink.State.CONNECTING) {
                quic.close();
                return;
            }
            link.quic = quic;
            link.state = PeerLink.State.OPEN;
            link.since = Instant.now();
        }
        double seconds = (System.nanoTime() - link.startedNanos) / 1e9;
        metrics.tunnelOpened(link.path, seconds);
        log.info("tunnel to {} open: {}{} in {} ms", link.peer, link.path.label(), link.via == null ? "" : " via " + link.via,
                Math.round(seconds * 1000));
        watch(link, quic);
        link.ready.complete(quic);
        // Keep ICE's consent and keepalives running as long as the tunnel lives (the pair's socket is the bridge's).
        heartbeat(link);
        upgrades.opened(link);
        if (lane != null) {
            lane.probe(link);
        }
    }

    /** When {@code quic} ends while it is still the link's connection (not one an upgrade left behind), the tunnel ends. */
    void watch(PeerLink link, QuicChannel quic) {
        quic.closeFuture().addListener(f -> {
            if (link.quic == quic) {
                metrics.tunnelClosed(link.path);
                close(link, "connection closed");
            }
        });
    }

    /**
     * Keeps the QUIC connection (and the NAT bindings under it) alive while the tunnel is wanted:
     * an empty stream each heartbeat period, which the peer closes on sight. Idle tunnels are
     * closed by {@link #closeIdle}, not by QUIC's idle timeout, which only catches dead paths.
     */
    private void heartbeat(PeerLink link) {
        group.schedule(() -> {
            QuicChannel q = link.quic;
            if (link.state != PeerLink.State.OPEN || q == null || !q.isActive()) {
                return;
            }
            ping(q);
            heartbeat(link);
        }, settings.heartbeatSeconds(), TimeUnit.SECONDS);
    }

    /** One heartbeat on {@code quic}: an empty stream, which the peer closes on sight. */
    static void ping(QuicChannel quic) {
        quic.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInboundHandlerAdapter()).addListener(f -> {
            if (f.isSuccess()) {
                ((Channel) f.getNow()).close();
            }
        });
    }

    private void fail(PeerLink link, String stage, Throwable cause) {
        synchronized (this) {
            if (link.state == PeerLink.State.CLOSED) {
                return;
            }
            link.state = PeerLink.State.CLOSED;
            links.remove(link.peer, link);
        }
        metrics.failure(stage);
        boolean iceFailed = link.turn == null && link.bridge == null && (stage.equals("ice") || (stage.equals("setup") && link.ice != null));
        if (iceFailed) {
            iceFailures.failed(link.peer); // twice, and the next tunnels to this peer go through the TCP relay for a while
        }
        SignalingSession via = link.signaling;
        if (iceFailed && link.offerer && !closed && link.attempt + 1 < MAX_SETUP_ATTEMPTS
                && (!iceFailures.recent(link.peer) || (via != null && offersTcpRelay(via)))) {
            log.warn("tunnel to {} failed at {} (attempt {}), setting up again: {}", link.peer, stage, link.attempt + 1, cause.toString());
            if (via != null) {
                // The answerer drops its half of this attempt now rather than when its own ICE gives up.
                via.send(new SignalMessage.Bye(settings.nodeName(), link.peer, link.session, "setting up again"));
            }
            release(link);
            retry(link);
            return;
        }
        log.warn("tunnel to {} failed at {}: {}", link.peer, stage, cause.toString());
        link.ready.completeExceptionally(cause);
        release(link);
    }

    /**
     * Sets up the tunnel to {@code failed}'s peer again, for whoever waits on it: a fresh offer
     * (ICE again, or the TCP relay once ICE failed twice) whose link completes the same future.
     */
    private void retry(PeerLink failed) {
        PeerLink next;
        synchronized (this) {
            PeerLink current = links.get(failed.peer);
            if (current != null && current.state != PeerLink.State.CLOSED) {
                // The peer offered in the meantime: its link serves the waiters.
                current.ready.whenComplete((quic, error) -> {
                    if (error != null) {
                        failed.ready.completeExceptionally(error);
                    } else {
                        failed.ready.complete(quic);
                    }
                });
                return;
            }
            next = new PeerLink(failed.peer, UUID.randomUUID().toString(), true, failed.ready, failed.attempt + 1);
            links.put(next.peer, next);
        }
        metrics.setupRetry();
        armSetupTimeout(next);
        setup.execute(() -> offer(next));
    }

    private void close(PeerLink link, String why) {
        synchronized (this) {
            if (link.state == PeerLink.State.CLOSED) {
                return;
            }
            link.state = PeerLink.State.CLOSED;
            links.remove(link.peer, link);
        }
        log.info("tunnel to {} closed: {}", link.peer, why);
        link.ready.completeExceptionally(new IOException("tunnel to " + link.peer + " closed: " + why));
        SignalingSession s = link.signaling;
        if (s != null) {
            s.send(new SignalMessage.Bye(settings.nodeName(), link.peer, link.session, why));
        }
        release(link);
    }

    private void release(PeerLink link) {
        upgrades.released(link);
        QuicChannel q = link.quic;
        if (q != null) {
            q.close();
        }
        Channel d = link.datagrams;
        if (d != null) {
            d.close();
        }
        DatagramPath b = link.bridge;
        if (b != null) {
            b.close();
        }
        TurnClient turn = link.turn;
        if (turn != null) {
            turn.close();
        }
        IceSession ice = link.ice;
        if (ice != null) {
            setup.execute(ice::close);
        }
    }

    /**
     * A mesh-server that drops its signaling session has usually gone away with its relay: tunnels
     * relayed through it are closed now rather than when QUIC's idle timeout notices the dead path,
     * so that the next stream sets up anew through a mesh-server that is still there.
     */
    private void closeRelayedThrough(SignalingSession lost) {
        Set<String> relayHosts = new HashSet<>();
        for (RelayServer r : lost.relays()) {
            relayHosts.add(r.address().getAddress().getHostAddress());
        }
        for (PeerLink link : List.copyOf(links.values())) {
            if ((link.path == PathKind.RELAYED || link.path == PathKind.RELAYED_TCP) && relayHosts.contains(link.via)) {
                close(link, "relay " + lost.serverName() + " lost");
            }
        }
    }

    private void closeIdle() {
        long idle = TimeUnit.SECONDS.toNanos(settings.idleTimeoutSeconds());
        for (PeerLink link : links.values()) {
            if (link.state == PeerLink.State.OPEN && link.idleLongerThan(idle)) {
                close(link, "idle");
            }
        }
    }

    /** The peer table: every tunnel with its path, RTT, bytes each way and since when; then the signaling sessions. */
    public Map<String, Object> peers() {
        List<Map<String, Object>> rows = new ArrayList<>();
        links.values().stream().sorted(Comparator.comparing(l -> l.peer)).forEach(l -> rows.add(l.describe()));
        List<Map<String, Object>> servers = new ArrayList<>();
        for (SignalingSession s : sessions) {
            servers.add(Map.of("server", s.server(), "name", s.serverName(), "registered", s.registered(),
                    "since", String.valueOf(s.since())));
        }
        return Map.of("node", settings.nodeName(), "peers", rows, "meshServers", servers);
    }

    @Override
    public void close() {
        closed = true;
        for (PeerLink link : new ArrayList<>(links.values())) {
            close(link, "agent stopping");
        }
        setup.shutdown();
        try {
            // The ICE sessions close there, giving their TURN allocations back: let them finish.
            setup.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sessions.forEach(SignalingSession::close);
        if (lane != null) {
            lane.close();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
