package io.kedge.server;

import io.kedge.common.cli.Cli;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.net.LeakDetection;
import io.kedge.common.config.ConfigException;
import io.kedge.server.config.ServerConfig;
import io.kedge.server.policy.RegisteredPeers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mesh-server}: the relay, until stopped (SIGTERM/SIGINT). */
@Command(name = "mesh-server", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Kedge relay on a public address: STUN (RFC 8489, RFC 5780) and TURN (RFC 8656) over UDP, TCP and TLS. "
                + "Agents get short-lived credentials (coturn's use-auth-secret scheme) and may relay only to registered "
                + "agents and allowed networks.",
                "Flags override the configuration file."})
public final class MeshServerCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file (optional).")
    Path config;

    @Option(names = "--listen", paramLabel = "ADDRESS", description = "Address for STUN/TURN (overrides listen.address).")
    String listen;

    @Option(names = "--port", paramLabel = "PORT", description = "UDP and TCP port (overrides listen.port, default 3478).")
    Integer port;

    @Option(names = "--tls-port", paramLabel = "PORT", description = "TLS port (overrides listen.tlsPort, default 5349).")
    Integer tlsPort;

    @Option(names = "--no-tls", description = "Do not listen for TURN over TLS.")
    boolean noTls;

    @Option(names = "--alternate-address", paramLabel = "ADDRESS", description = "Second address for RFC 5780 NAT discovery.")
    String alternateAddress;

    @Option(names = "--alternate-port", paramLabel = "PORT", description = "Second port for RFC 5780 (default 3479).")
    Integer alternatePort;

    @Option(names = "--relay-address", paramLabel = "ADDRESS", description = "Address relay sockets bind to (overrides relay.address).")
    String relayAddress;

    @Option(names = "--public-address", paramLabel = "ADDRESS", description = "Address advertised for relayed ports (behind a 1:1 NAT).")
    String publicAddress;

    @Option(names = "--port-range", paramLabel = "FIRST-LAST", description = "Relayed ports (overrides relay.portRange).")
    String portRange;

    @Option(names = "--allowed-peer", paramLabel = "CIDR", description = "Network the relay may relay to, besides registered agents (repeatable).")
    List<String> allowedPeers = new ArrayList<>();

    @Option(names = "--realm", description = "Authentication realm (overrides auth.realm).")
    String realm;

    @Option(names = "--shared-secret-file", paramLabel = "FILE", description = "Shared secrets, one per line (overrides auth.sharedSecretFile).")
    String sharedSecretFile;

    @Option(names = "--user", paramLabel = "NAME:PASSWORD", description = "A fixed user, for tests and interop (repeatable).")
    List<String> users = new ArrayList<>();

    @Option(names = "--signaling-port", paramLabel = "PORT", description = "Agent signaling (TLS) port (overrides signaling.port, default 7443).")
    Integer signalingPort;

    @Option(names = "--join-token-file", paramLabel = "FILE", description = "Shared join token agents authenticate with (overrides signaling.joinTokenFile).")
    String joinTokenFile;

    @Option(names = "--client-ca", paramLabel = "FILE", description = "CA whose node certificates authenticate agents (overrides signaling.clientCa).")
    String clientCa;

    @Option(names = "--name", description = "This server's name in agents' peer tables (overrides signaling.name).")
    String name;

    @Option(names = "--threads", description = "I/O threads (default: one per CPU).")
    Integer threads;

    @Option(names = "--admin", paramLabel = "HOST:PORT", description = "Health and metrics endpoint (overrides admin.listen).")
    String admin;

    @Option(names = "--log-level", defaultValue = "info", description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Override
    public Integer call() throws Exception {
        Cli.logLevel(logLevel);
        LeakDetection.productionDefault();
        ServerConfig cfg = withFlags(config == null ? ServerConfig.defaults() : ServerConfig.load(config));
        MeshServer server = new MeshServer(cfg, RegisteredPeers.NONE);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "mesh-server-shutdown"));
        server.start();
        System.out.println("mesh-server ready: udp " + server.udpAddress() + " tcp " + server.tcpAddress() + " tls " + server.tlsAddress()
                + " signaling " + server.signalingAddress() + " admin port " + server.adminPort());
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** The configuration with the flags applied; a bad flag value is reported under its configuration key. */
    ServerConfig withFlags(ServerConfig c) {
        try {
            return applyFlags(c);
        } catch (ConfigException e) {
            throw e.in("command line");
        }
    }

    private ServerConfig applyFlags(ServerConfig c) {
        ServerConfig.Listen l = under("listen", () -> new ServerConfig.Listen(listen != null ? listen : c.listen().address(),
                port != null ? port : c.listen().port(), tlsPort != null ? tlsPort : c.listen().tlsPort(), c.listen().udp(),
                c.listen().tcp(), !noTls && c.listen().tls()));
        ServerConfig.Stun s = under("stun", () -> new ServerConfig.Stun(alternateAddress != null ? alternateAddress : c.stun().alternateAddress(),
                alternatePort != null ? alternatePort : c.stun().alternatePort()));
        ServerConfig.Relay r = c.relay();
        List<String> allowed = new ArrayList<>(r.allowedPeers());
        allowed.addAll(allowedPeers);
        ServerConfig.Relay relay = under("relay", () -> new ServerConfig.Relay(relayAddress != null ? relayAddress : r.address(),
                publicAddress != null ? publicAddress : r.publicAddress(), portRange != null ? portRange : r.portRange(), allowed,
                r.deniedPeers(), r.defaultLifetimeSeconds(), r.maxLifetimeSeconds(), r.permissionLifetimeSeconds(),
                r.channelLifetimeSeconds(), r.maxPermissionsPerAllocation(), r.maxChannelsPerAllocation()));
        ServerConfig.Auth a = c.auth();
        Map<String, String> allUsers = new LinkedHashMap<>(a.users());
        for (String u : users) {
            int colon = u.indexOf(':');
            if (colon <= 0 || colon == u.length() - 1) {
                throw new ConfigException("--user", u, "expected NAME:PASSWORD");
            }
            allUsers.put(u.substring(0, colon), u.substring(colon + 1));
        }
        ServerConfig.Auth auth = under("auth", () -> new ServerConfig.Auth(realm != null ? realm : a.realm(), a.sharedSecrets(),
                sharedSecretFile != null ? sharedSecretFile : a.sharedSecretFile(), allUsers, a.nonceLifetimeSeconds()));
        ServerConfig.Admin adm = admin != null ? under("admin", () -> new ServerConfig.Admin(admin)) : c.admin();
        return new ServerConfig(l, s, c.tls(), auth, relay, c.quotas(), c.tcp(), adm, threads != null ? threads : c.threads(), c.software(),
                signaling(c.signaling()));
    }

    private ServerConfig.Signaling signaling(ServerConfig.Signaling g) {
        if (signalingPort == null && joinTokenFile == null && clientCa == null && name == null) {
            return g;
        }
        return under("signaling", () -> new ServerConfig.Signaling(joinTokenFile != null || clientCa != null ? null : g.enabled(), signalingPort != null ? signalingPort : g.port(),
                joinTokenFile != null ? null : g.joinToken(), joinTokenFile != null ? joinTokenFile : g.joinTokenFile(),
                clientCa != null ? clientCa : g.clientCa(), name != null ? name : g.name(), g.credentialTtlSeconds(), g.maxAgents(),
                g.registerTimeoutSeconds(), g.idleTimeoutSeconds(), g.externalRelays(), g.advertiseOwnRelay()));
    }

    private static <T> T under(String section, java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (ConfigException e) {
            throw e.under(section);
        }
    }

    public static void main(String[] args) {
        Cli.main(new MeshServerCommand(), args);
    }
}
