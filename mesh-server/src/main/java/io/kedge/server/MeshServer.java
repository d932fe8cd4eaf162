package io.kedge.server;

import io.kedge.common.admin.AdminServer;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.config.ConfigException;
import io.kedge.server.auth.CredentialIssuer;
import io.kedge.server.auth.CredentialLookup;
import io.kedge.server.auth.CredentialStore;
import io.kedge.server.auth.LongTermAuthenticator;
import io.kedge.server.auth.Nonces;
import io.kedge.server.auth.SharedSecretCredentials;
import io.kedge.server.auth.StaticUsers;
import io.kedge.server.auth.TurnCredentials;
import io.kedge.server.binding.BindingService;
import io.kedge.server.binding.StunEndpoints;
import io.kedge.server.config.ServerConfig;
import io.kedge.server.metrics.RelayMetrics;
import io.kedge.server.net.Listeners;
import io.kedge.common.net.NetTransport;
import io.kedge.server.net.RelaySockets;
import io.kedge.server.net.TlsContexts;
import io.kedge.server.policy.OwnAddresses;
import io.kedge.server.policy.PeerPolicy;
import io.kedge.server.policy.RegisteredPeers;
import io.kedge.server.quota.Quotas;
import io.kedge.server.signaling.AgentAuthenticator;
import io.kedge.server.signaling.AgentRegistry;
import io.kedge.server.signaling.SignalingMetrics;
import io.kedge.server.signaling.SignalingServer;
import io.kedge.common.signaling.SignalMessage;
import io.kedge.server.turn.TurnService;
import io.kedge.server.turn.TurnSettings;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.kedge.common.lifecycle.StopOrder;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay program: STUN (with RFC 5780 when an alternate address is configured) and TURN over
 * UDP, TCP and TLS, agent signaling over TLS when configured, the admin endpoint, and the
 * housekeeping that expires allocations. The relay may talk to the addresses of agents registered
 * with signaling ({@link AgentRegistry}) and to those the {@link RegisteredPeers} passed in names.
 */
public final class MeshServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MeshServer.class);

    private final ServerConfig config;
    private final RegisteredPeers registeredPeers;
    private final Clock clock;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final StopOrder stopOrder = new StopOrder();
    private RelayMetrics metrics;
    private SharedSecretCredentials secretCredentials;
    private TurnService turn;
    private Listeners listeners;
    private AdminServer admin;
    private AgentRegistry agents;
    private SignalingServer signaling;
    private InetSocketAddress signalingAddress;
    private InetAddress relayAddress;
    private InetAddress advertisedAddress;
    private volatile boolean closed;

    public MeshServer(ServerConfig config, RegisteredPeers registeredPeers) {
        this(config, registeredPeers, Clock.systemUTC());
    }

    MeshServer(ServerConfig config, RegisteredPeers registeredPeers, Clock clock) {
        this.config = config;
        this.registeredPeers = registeredPeers;
        this.clock = clock;
    }

    /** Binds every socket and starts serving; on failure nothing is left open. */
    public void start() throws IOException, InterruptedException {
        try {
            startParts();
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void startParts() throws IOException, InterruptedException {
        metrics = new RelayMetrics(registry);
        CredentialStore credentials = credentials();
        relayAddress = relayAddress();
        advertisedAddress = config.relay().publicAddress() != null ? address(config.relay().publicAddress()) : relayAddress;

        NetTransport transport = NetTransport.best();
        EventLoopGroup group = transport.newGroup(config.threads(), "relay");
        stopOrder.push(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS));

        OwnAddresses own = OwnAddresses.ofThisHost();
        agents = new AgentRegistry(config.signaling().maxAgents());
        RegisteredPeers peers = address -> agents.isRegistered(address) || registeredPeers.isRegistered(address);
        PeerPolicy policy = new PeerPolicy(List.copyOf(new LinkedHashSet<>(List.of(relayAddress, advertisedAddress))), own,
                config.relay().allowedNetworks(), config.relay().deniedNetworks(), peers);
        ServerConfig.Relay r = config.relay();
        TurnSettings settings = new TurnSettings(Duration.ofSeconds(r.defaultLifetimeSeconds()), Duration.ofSeconds(r.maxLifetimeSeconds()),
                Duration.ofSeconds(r.permissionLifetimeSeconds()), Duration.ofSeconds(r.channelLifetimeSeconds()),
                r.maxPermissionsPerAllocation(), r.maxChannelsPerAllocation(), advertisedAddress, config.software());
        ServerConfig.Quotas q = config.quotas();
        Quotas quotas = new Quotas(q.allocationsPerUser(), q.maxAllocations(), q.bandwidthBytesPerSecond(), q.burstBytes());
        LongTermAuthenticator authenticator = new LongTermAuthenticator(config.auth().realm(), credentials,
                new Nonces(Duration.ofSeconds(config.auth().nonceLifetimeSeconds())), clock);
        turn = new TurnService(settings, authenticator, policy, quotas,
                new RelaySockets(transport, relayAddress, r.minPort(), r.maxPort()), metrics, System::nanoTime);
        stopOrder.push(turn::close);

        ServerConfig.Listen l = config.listen();
        InetAddress listenAddress = address(l.address());
        InetAddress alternate = config.stun().alternateAddress() == null ? null : address(config.stun().alternateAddress());
        BindingService binding = new BindingService(new StunEndpoints(listenAddress, l.port(), alternate, config.stun().alternatePort()),
                config.software());
        SslContext tls = l.tls() ? tlsContext() : null;
        listeners = new Listeners(transport, group, new Listeners.Settings(listenAddress, l.port(), l.tlsPort(), l.udp(), l.tcp(), tls,
                alternate, config.stun().alternatePort(), config.threads(), config.tcp().idleTimeoutSeconds(),
                config.tcp().maxConnections(), config.software()), turn, binding, metrics);
        listeners.start();
        stopOrder.push(listeners);

        if (config.signaling().enabled()) {
            startSignaling(group, transport, listenAddress);
        }

        ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "relay-housekeeping");
            t.setDaemon(true);
            return t;
        });
        housekeeping.scheduleWithFixedDelay(turn::expire, 1, 1, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(own::refresh, 30, 30, TimeUnit.SECONDS);
        stopOrder.push(housekeeping::shutdownNow);

        ServerConfig.Admin a = config.admin();
        admin = new AdminServer(new InetSocketAddress(a.host(), a.port()), registry);
        stopOrder.push(admin);
        admin.check("listeners", () -> listeners.healthy() ? null : "a listening socket is closed");
        admin.json("/debug/allocations", turn::describe);
        admin.json("/debug/status", this::status);
        admin.json("/debug/agents", agents::describe);
        if (signaling != null) {
            admin.check("signaling", () -> signaling.healthy() ? null : "the signaling listener is closed");
        }
        log.info("mesh-server {} ({}): relaying on {} (advertised {}), ports {}, realm {}", VersionProvider.version(), transport,
                relayAddress.getHostAddress(), advertisedAddress.getHostAddress(), r.portRange(), config.auth().realm());
    }

    private void startSignaling(EventLoopGroup group, NetTransport transport, InetAddress listenAddress) throws IOException, InterruptedException {
        ServerConfig.Signaling sg = config.signaling();
        AgentAuthenticator authenticator = sg.clientCa() != null ? AgentAuthenticator.nodeCertificates()
                : AgentAuthenticator.joinToken(joinToken(sg));
        String name = sg.name() != null ? sg.name() : advertisedAddress.getHostAddress();
        signaling = new SignalingServer(new SignalingServer.Settings(new InetSocketAddress(listenAddress, sg.port()), name,
                sg.registerTimeoutSeconds(), sg.idleTimeoutSeconds()), signalingTls(sg), agents, authenticator, this::relayCredentials,
                new SignalingMetrics(registry, agents));
        signalingAddress = signaling.start(group, transport.server());
        stopOrder.push(signaling);
        if (secretCredentials == null) {
            log.warn("signaling without auth.sharedSecrets: agents get no relay credentials");
        }
    }

    private static String joinToken(ServerConfig.Signaling sg) throws IOException {
        if (sg.joinToken() != null) {
            return sg.joinToken();
        }
        Path file = Path.of(sg.joinTokenFile());
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("signaling.joinTokenFile", sg.joinTokenFile(), "file does not exist");
        }
        String token = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip).filter(l -> !l.isEmpty())
                .findFirst().orElse("");
        ConfigException.require(token.length() >= 16, "signaling.joinTokenFile", sg.joinTokenFile(),
                "the token (first non-empty line) must be at least 16 characters");
        return token;
    }

    private SslContext signalingTls(ServerConfig.Signaling sg) throws IOException {
        ServerConfig.Tls t = config.tls();
        SslContextBuilder builder;
        if (t.certificate() != null) {
            try {
                builder = TlsContexts.builderFromPem(new File(t.certificate()), new File(t.privateKey()));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("tls.certificate", t.certificate(), "cannot load certificate and key: " + e.getMessage());
            }
        } else {
            builder = TlsContexts.selfSignedBuilder(List.copyOf(new LinkedHashSet<>(List.of(relayAddress, advertisedAddress))));
        }
        if (sg.clientCa() != null) {
            File ca = new File(sg.clientCa());
            if (!ca.isFile()) {
                throw new ConfigException("signaling.clientCa", sg.clientCa(), "file does not exist");
            }
            builder.trustManager(ca).clientAuth(ClientAuth.REQUIRE);
        }
        try {
            return builder.build();
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(sg.clientCa() != null ? "signaling.clientCa" : "tls.certificate",
                    sg.clientCa() != null ? sg.clientCa() : t.certificate(), "cannot build the signaling TLS context: " + e.getMessage());
        }
    }

    /** Relay credentials for a registered agent, with the URIs of this server's TURN listeners and of the configured external relays. */
    SignalMessage.RelayCredentials relayCredentials(String node) {
        if (secretCredentials == null) {
            return null;
        }
        TurnCredentials c = secretCredentials.issue(node, Duration.ofSeconds(config.signaling().credentialTtlSeconds()));
        String host = advertisedAddress.getHostAddress();
        List<String> uris = new ArrayList<>();
        if (config.signaling().advertiseOwnRelay()) {
            if (listeners.udpAddress() != null) {
                uris.add("turn:" + host + ":" + listeners.udpAddress().getPort() + "?transport=udp");
            }
            if (listeners.tcpAddress() != null) {
                uris.add("turn:" + host + ":" + listeners.tcpAddress().getPort() + "?transport=tcp");
            }
            if (listeners.tlsAddress() != null) {
                uris.add("turns:" + host + ":" + listeners.tlsAddress().getPort() + "?transport=tcp");
            }
        }
        uris.addAll(config.signaling().externalRelays());
        return new SignalMessage.RelayCredentials(c.username(), c.password(), c.expiresAt().getEpochSecond(), uris);
    }

    private CredentialStore credentials() throws IOException {
        ServerConfig.Auth auth = config.auth();
        List<String> secrets = new ArrayList<>();
        if (auth.sharedSecretFile() != null) {
            Path file = Path.of(auth.sharedSecretFile());
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("auth.sharedSecretFile", auth.sharedSecretFile(), "file does not exist");
            }
            // One secret per line; the first issues credentials, the others are still accepted (rotation).
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    ConfigException.require(line.strip().length() >= 16, "auth.sharedSecretFile", auth.sharedSecretFile(),
                            "secrets must be at least 16 characters");
                    secrets.add(line.strip());
                }
            }
        }
        secrets.addAll(auth.sharedSecrets());
        if (secrets.isEmpty() && auth.users().isEmpty()) {
            throw new ConfigException("auth", null, "no credentials: set sharedSecrets, sharedSecretFile or users (an open relay is not offered)");
        }
        CredentialStore users = new StaticUsers(auth.users());
        if (secrets.isEmpty()) {
            return users;
        }
        secretCredentials = new SharedSecretCredentials(secrets, clock);
        SharedSecretCredentials shared = secretCredentials;
        return (username, now) -> {
            CredentialLookup fixed = users.lookup(username, now);
            return fixed.status() != CredentialLookup.Status.UNKNOWN ? fixed : shared.lookup(username, now);
        };
    }

    private InetAddress relayAddress() {
        if (config.relay().address() != null) {
            return address(config.relay().address());
        }
        if (!config.listen().address().equals("0.0.0.0")) {
            return address(config.listen().address());
        }
        // Listening everywhere: relay from the first address that looks reachable from outside.
        for (InetAddress a : OwnAddresses.ofThisHost().current().addresses()) {
            if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress()) {
                log.info("relay.address not set: relaying from {}", a.getHostAddress());
                return a;
            }
        }
        throw new ConfigException("relay.address", null, "not set, and this host has no non-loopback IPv4 address to use");
    }

    private SslContext tlsContext() throws IOException {
        ServerConfig.Tls t = config.tls();
        if (t.certificate() != null) {
            try {
                return TlsContexts.fromPem(new File(t.certificate()), new File(t.privateKey()));
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigException("tls.certificate", t.certificate(), "cannot load certificate and key: " + e.getMessage());
            }
        }
        log.info("tls.certificate not set: TURN over TLS uses a self-signed certificate");
        return TlsContexts.selfSigned(List.copyOf(new LinkedHashSet<>(List.of(relayAddress, advertisedAddress))));
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Issues relay credentials (needs a shared secret in the configuration). */
    public CredentialIssuer credentialIssuer() {
        if (secretCredentials == null) {
            throw new IllegalStateException("no shared secret is configured: credentials cannot be issued");
        }
        return secretCredentials;
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    public RelayMetrics metrics() {
        return metrics;
    }

    public int allocationCount() {
        return turn.allocationCount();
    }

    public InetSocketAddress udpAddress() {
        return listeners.udpAddress();
    }

    public InetSocketAddress tcpAddress() {
        return listeners.tcpAddress();
    }

    public InetSocketAddress tlsAddress() {
        return listeners.tlsAddress();
    }

    /** The signaling listener's address, or null when signaling is off. */
    public InetSocketAddress signalingAddress() {
        return signalingAddress;
    }

    /** The agents registered with signaling. */
    public AgentRegistry agents() {
        return agents;
    }

    public int adminPort() {
        return admin.port();
    }

    Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("version", VersionProvider.version());
        s.put("realm", config.auth().realm());
        s.put("relayAddress", relayAddress.getHostAddress());
        s.put("advertisedAddress", advertisedAddress.getHostAddress());
        s.put("udp", String.valueOf(listeners.udpAddress()));
        s.put("tcp", String.valueOf(listeners.tcpAddress()));
        s.put("tls", String.valueOf(listeners.tlsAddress()));
        s.put("allocations", turn.allocationCount());
        s.put("signaling", String.valueOf(signalingAddress));
        s.put("agents", agents.size());
        return s;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopOrder.stopAll();
        log.info("mesh-server stopped");
    }
}
