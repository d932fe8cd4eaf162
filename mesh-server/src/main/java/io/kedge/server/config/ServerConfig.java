package io.kedge.server.config;

import static io.kedge.common.config.ConfigException.require;

import io.kedge.common.config.ConfigException;
import io.kedge.common.config.YamlConfig;
import io.kedge.server.policy.Cidr;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * mesh-server's configuration file. Every key is optional except credentials: a relay without any
 * is refused rather than run open. Defaults are the RFC values and the usual ports (3478 for STUN
 * and TURN over UDP and TCP, 5349 for TURN over TLS).
 *
 * <pre>
 * listen: {address: 203.0.113.11, port: 3478, tlsPort: 5349}
 * stun: {alternateAddress: 203.0.113.12, alternatePort: 3479}      # RFC 5780, optional
 * auth: {realm: kedge, sharedSecretFile: /etc/kedge/turn-secret}
 * relay: {portRange: 49152-65535, allowedPeers: [198.51.100.0/24]}
 * quotas: {allocationsPerUser: 10, bandwidthBytesPerSecond: 0}
 * admin: {listen: 127.0.0.1:9478}
 * signaling: {port: 7443, clientCa: /etc/kubeedge/ca/rootCA.crt}   # or joinTokenFile: /etc/kedge/join-token
 * </pre>
 */
public record ServerConfig(Listen listen, Stun stun, Tls tls, Auth auth, Relay relay, Quotas quotas, Tcp tcp, Admin admin,
                           Integer threads, String software, Signaling signaling) {
    public static final String DEFAULT_SOFTWARE = "kedge mesh-server";

    public ServerConfig {
        listen = listen == null ? Listen.DEFAULT : listen;
        stun = stun == null ? Stun.DEFAULT : stun;
        tls = tls == null ? Tls.DEFAULT : tls;
        auth = auth == null ? Auth.DEFAULT : auth;
        relay = relay == null ? Relay.DEFAULT : relay;
        quotas = quotas == null ? Quotas.DEFAULT : quotas;
        tcp = tcp == null ? Tcp.DEFAULT : tcp;
        admin = admin == null ? Admin.DEFAULT : admin;
        signaling = signaling == null ? Signaling.DEFAULT : signaling;
        threads = threads == null ? Math.max(1, Runtime.getRuntime().availableProcessors()) : threads;
        require(threads >= 1 && threads <= 256, "threads", threads, "must be between 1 and 256");
        software = software == null || software.isBlank() ? DEFAULT_SOFTWARE : software;
        require(software.length() <= 120, "software", software, "must be at most 120 characters");
        if (stun.alternateAddress() != null) {
            require(!listen.address().equals("0.0.0.0"), "listen.address", listen.address(),
                    "must be a concrete address when stun.alternateAddress is set (RESPONSE-ORIGIN names it)");
            require(listen.port() != 0, "listen.port", listen.port(), "must not be 0 when stun.alternateAddress is set");
            require(stun.alternatePort() != listen.port(), "stun.alternatePort", stun.alternatePort(),
                    "must differ from listen.port");
            require(!stun.alternateAddress().equals(listen.address()), "stun.alternateAddress", stun.alternateAddress(),
                    "must differ from listen.address");
        }
    }

    public static ServerConfig defaults() {
        return new ServerConfig(null, null, null, null, null, null, null, null, null, null, null);
    }

    public static ServerConfig load(Path file) {
        return YamlConfig.load(file, ServerConfig.class);
    }

    /** Where clients reach the relay. {@code udp}, {@code tcp} and {@code tls} switch each transport. */
    public record Listen(String address, Integer port, Integer tlsPort, Boolean udp, Boolean tcp, Boolean tls) {
        public static final Listen DEFAULT = new Listen(null, null, null, null, null, null);

        public Listen {
            address = address == null || address.isBlank() ? "0.0.0.0" : address.strip();
            requireIpv4("address", address);
            port = port == null ? 3478 : port;
            tlsPort = tlsPort == null ? 5349 : tlsPort;
            requirePort("port", port);
            requirePort("tlsPort", tlsPort);
            udp = udp == null || udp;
            tcp = tcp == null || tcp;
            tls = tls == null || tls;
            require(udp || tcp || tls, "udp", udp, "at least one of udp, tcp and tls must be enabled");
            if (tcp && tls && port != 0) {
                require(!port.equals(tlsPort), "tlsPort", tlsPort, "must differ from port (TCP listens there)");
            }
        }
    }

    /** RFC 5780 NAT behaviour discovery: a second address (and port) to answer CHANGE-REQUEST from. */
    public record Stun(String alternateAddress, Integer alternatePort) {
        public static final Stun DEFAULT = new Stun(null, null);

        public Stun {
            if (alternateAddress != null && !alternateAddress.isBlank()) {
                alternateAddress = alternateAddress.strip();
                requireIpv4("alternateAddress", alternateAddress);
            } else {
                alternateAddress = null;
            }
            alternatePort = alternatePort == null ? 3479 : alternatePort;
            requirePort("alternatePort", alternatePort);
        }
    }

    /** PEM certificate chain and key for TURN over TLS; both absent means a self-signed certificate. */
    public record Tls(String certificate, String privateKey) {
        public static final Tls DEFAULT = new Tls(null, null);

        public Tls {
            require((certificate == null) == (privateKey == null), certificate == null ? "certificate" : "privateKey", null,
                    "certificate and privateKey go together");
        }
    }

    /**
     * Long-term credentials: coturn-style shared secrets (the first one issues, all are accepted, so
     * a secret can be rotated), read from the file and/or listed, and optional fixed users.
     */
    public record Auth(String realm, List<String> sharedSecrets, String sharedSecretFile, Map<String, String> users,
                       Integer nonceLifetimeSeconds) {
        public static final Auth DEFAULT = new Auth(null, null, null, null, null);

        public Auth {
            realm = realm == null || realm.isBlank() ? "kedge" : realm.strip();
            require(realm.length() < 128, "realm", realm, "must be shorter than 128 characters");
            sharedSecrets = sharedSecrets == null ? List.of() : List.copyOf(sharedSecrets);
            for (int i = 0; i < sharedSecrets.size(); i++) {
                String s = sharedSecrets.get(i);
                require(s != null && s.length() >= 16, "sharedSecrets[" + i + "]", null, "must be at least 16 characters");
            }
            users = users == null ? Map.of() : Map.copyOf(users);
            for (Map.Entry<String, String> u : users.entrySet()) {
                require(!u.getKey().isEmpty() && u.getKey().length() <= 512, "users", u.getKey(), "usernames must be 1 to 512 bytes");
                require(u.getValue() != null && !u.getValue().isEmpty(), "users." + u.getKey(), null, "needs a password");
            }
            nonceLifetimeSeconds = nonceLifetimeSeconds == null ? 600 : nonceLifetimeSeconds;
            require(nonceLifetimeSeconds >= 10 && nonceLifetimeSeconds <= 86400, "nonceLifetimeSeconds", nonceLifetimeSeconds,
                    "must be between 10 and 86400");
        }
    }

    /**
     * The relayed side. {@code address} is where relay sockets bind (default: the listen address,
     * or this host's first public-looking IPv4 address when listening on 0.0.0.0);
     * {@code publicAddress} is what clients are told when the relay sits behind a 1:1 NAT.
     * {@code allowedPeers} adds networks to the registered agents the relay may talk to;
     * {@code deniedPeers} removes networks. Lifetimes default to RFC 8656's values.
     */
    public record Relay(String address, String publicAddress, String portRange, List<String> allowedPeers, List<String> deniedPeers,
                        Integer defaultLifetimeSeconds, Integer maxLifetimeSeconds, Integer permissionLifetimeSeconds,
                        Integer channelLifetimeSeconds, Integer maxPermissionsPerAllocation, Integer maxChannelsPerAllocation) {
        public static final Relay DEFAULT = new Relay(null, null, null, null, null, null, null, null, null, null, null);

        public Relay {
            address = optionalConcreteIpv4("address", address);
            publicAddress = optionalConcreteIpv4("publicAddress", publicAddress);
            portRange = portRange == null || portRange.isBlank() ? "49152-65535" : portRange.strip();
            int[] range = parsePortRange(portRange);
            require(range[1] - range[0] >= 1, "portRange", portRange, "must hold at least two ports");
            allowedPeers = allowedPeers == null ? List.of() : List.copyOf(allowedPeers);
            deniedPeers = deniedPeers == null ? List.of() : List.copyOf(deniedPeers);
            for (int i = 0; i < allowedPeers.size(); i++) {
                Cidr.parse("allowedPeers[" + i + "]", allowedPeers.get(i));
            }
            for (int i = 0; i < deniedPeers.size(); i++) {
                Cidr.parse("deniedPeers[" + i + "]", deniedPeers.get(i));
            }
            defaultLifetimeSeconds = positive("defaultLifetimeSeconds", defaultLifetimeSeconds, 600);
            maxLifetimeSeconds = positive("maxLifetimeSeconds", maxLifetimeSeconds, 3600);
            require(maxLifetimeSeconds >= defaultLifetimeSeconds, "maxLifetimeSeconds", maxLifetimeSeconds,
                    "must be at least defaultLifetimeSeconds (" + defaultLifetimeSeconds + ")");
            permissionLifetimeSeconds = positive("permissionLifetimeSeconds", permissionLifetimeSeconds, 300);
            channelLifetimeSeconds = positive("channelLifetimeSeconds", channelLifetimeSeconds, 600);
            maxPermissionsPerAllocation = positive("maxPermissionsPerAllocation", maxPermissionsPerAllocation, 64);
            maxChannelsPerAllocation = positive("maxChannelsPerAllocation", maxChannelsPerAllocation, 64);
            require(maxChannelsPerAllocation <= 16384, "maxChannelsPerAllocation", maxChannelsPerAllocation,
                    "must be at most 16384 (channels 0x4000-0x7FFF)");
        }

        public int minPort() {
            return parsePortRange(portRange)[0];
        }

        public int maxPort() {
            return parsePortRange(portRange)[1];
        }

        public List<Cidr> allowedNetworks() {
            return allowedPeers.stream().map(Cidr::of).toList();
        }

        public List<Cidr> deniedNetworks() {
            return deniedPeers.stream().map(Cidr::of).toList();
        }

        static int[] parsePortRange(String text) {
            String[] parts = text.split("-", -1);
            if (parts.length != 2) {
                throw new ConfigException("portRange", text, "expected FIRST-LAST, e.g. 49152-65535");
            }
            try {
                int lo = Integer.parseInt(parts[0].strip());
                int hi = Integer.parseInt(parts[1].strip());
                require(lo >= 1024 && hi <= 65535 && lo <= hi, "portRange", text, "ports must be within 1024-65535, first <= last");
                return new int[] {lo, hi};
            } catch (NumberFormatException e) {
                throw new ConfigException("portRange", text, "expected FIRST-LAST, e.g. 49152-65535");
            }
        }
    }

    /**
     * Per-user (per agent) quotas: allocations held at once, and relayed bandwidth in bytes per second
     * (0: unlimited) with a burst allowance; plus the relay-wide allocation limit.
     */
    public record Quotas(Integer allocationsPerUser, Integer maxAllocations, Long bandwidthBytesPerSecond, Long burstBytes) {
        public static final Quotas DEFAULT = new Quotas(null, null, null, null);

        public Quotas {
            allocationsPerUser = positive("allocationsPerUser", allocationsPerUser, 10);
            maxAllocations = positive("maxAllocations", maxAllocations, 10000);
            bandwidthBytesPerSecond = bandwidthBytesPerSecond == null ? 0L : bandwidthBytesPerSecond;
            require(bandwidthBytesPerSecond >= 0, "bandwidthBytesPerSecond", bandwidthBytesPerSecond, "must be 0 (unlimited) or more");
            burstBytes = burstBytes == null ? Math.max(65536L, bandwidthBytesPerSecond) : burstBytes;
            require(burstBytes >= 65536, "burstBytes", burstBytes, "must be at least 65536 (one maximal datagram)");
        }
    }

    /** TCP and TLS clients: connections idle (without an allocation) this long are closed. */
    public record Tcp(Integer idleTimeoutSeconds, Integer maxConnections) {
        public static final Tcp DEFAULT = new Tcp(null, null);

        public Tcp {
            idleTimeoutSeconds = positive("idleTimeoutSeconds", idleTimeoutSeconds, 60);
            maxConnections = positive("maxConnections", maxConnections, 10000);
        }
    }

    /** Health, readiness and metrics endpoint. */
    public record Admin(String listen) {
        public static final Admin DEFAULT = new Admin(null);

        public Admin {
            listen = listen == null || listen.isBlank() ? "127.0.0.1:9478" : listen.strip();
            int colon = listen.lastIndexOf(':');
            require(colon > 0, "listen", listen, "expected HOST:PORT");
            requireIpv4("listen", listen.substring(0, colon));
            try {
                requirePort("listen", Integer.parseInt(listen.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new ConfigException("listen", listen, "expected HOST:PORT");
            }
        }

        public String host() {
            return listen.substring(0, listen.lastIndexOf(':'));
        }

        public int port() {
            return Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
        }
    }

    /**
     * Agent registration and candidate exchange over TLS. Agents authenticate with a node
     * certificate signed by {@code clientCa} (mutual TLS; the certificate's CN must be
     * {@code system:node:<name>}) or, where no CA is configured, with the shared join token
     * ({@code joinToken} or the first line of {@code joinTokenFile}). Signaling runs when either is
     * set, unless {@code enabled: false}; it never runs without authentication.
     * {@code credentialTtlSeconds} is the lifetime of the relay credentials agents are handed.
     *
     * <p>The relays agents are handed: this server's own TURN listeners (unless
     * {@code advertiseOwnRelay: false}) and {@code externalRelays}, TURN servers run elsewhere (for
     * example coturn with {@code use-auth-secret}) given as {@code turn:IPv4:PORT?transport=udp|tcp}
     * URIs. External relays must share this server's issuing secret (the first shared secret), since
     * agents get one credential for all of them.
     */
    public record Signaling(Boolean enabled, Integer port, String joinToken, String joinTokenFile, String clientCa, String name,
                            Integer credentialTtlSeconds, Integer maxAgents, Integer registerTimeoutSeconds, Integer idleTimeoutSeconds,
                            List<String> externalRelays, Boolean advertiseOwnRelay) {
        public static final Signaling DEFAULT = new Signaling(null, null, null, null, null, null, null, null, null, null, null, null);

        /** What an external relay's URI must look like: an IP literal (nothing is resolved) and a transport agents speak. */
        private static final Pattern RELAY_URI = Pattern.compile(
                "turn:((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}):(\\d{1,5})(\\?transport=(udp|tcp))?");

        public Signaling {
            joinToken = joinToken == null || joinToken.isBlank() ? null : joinToken.strip();
            joinTokenFile = joinTokenFile == null || joinTokenFile.isBlank() ? null : joinTokenFile.strip();
            clientCa = clientCa == null || clientCa.isBlank() ? null : clientCa.strip();
            require(joinToken == null || joinToken.length() >= 16, "joinToken", null, "must be at least 16 characters");
            require(joinToken == null || joinTokenFile == null, "joinTokenFile", joinTokenFile, "set joinToken or joinTokenFile, not both");
            boolean authenticated = joinToken != null || joinTokenFile != null || clientCa != null;
            require(enabled == null || !enabled || authenticated, "enabled", enabled,
                    "signaling needs clientCa, joinToken or joinTokenFile (unauthenticated agents are never accepted)");
            enabled = enabled == null ? authenticated : enabled;
            port = port == null ? 7443 : port;
            requirePort("port", port);
            name = name == null || name.isBlank() ? null : name.strip();
            require(name == null || name.length() <= 253, "name", name, "must be at most 253 characters");
            credentialTtlSeconds = positive("credentialTtlSeconds", credentialTtlSeconds, 3600);
            require(credentialTtlSeconds >= 60 && credentialTtlSeconds <= 86400, "credentialTtlSeconds", credentialTtlSeconds,
                    "must be between 60 and 86400");
            maxAgents = positive("maxAgents", maxAgents, 100000);
            registerTimeoutSeconds = positive("registerTimeoutSeconds", registerTimeoutSeconds, 10);
            idleTimeoutSeconds = positive("idleTimeoutSeconds", idleTimeoutSeconds, 60);
            externalRelays = externalRelays == null ? List.of() : List.copyOf(externalRelays);
            for (int i = 0; i < externalRelays.size(); i++) {
                String uri = externalRelays.get(i);
                Matcher m = uri == null ? null : RELAY_URI.matcher(uri.strip());
                require(m != null && m.matches() && Integer.parseInt(m.group(5)) >= 1 && Integer.parseInt(m.group(5)) <= 65535,
                        "externalRelays[" + i + "]", uri, "expected turn:IPv4:PORT or turn:IPv4:PORT?transport=udp|tcp");
            }
            externalRelays = externalRelays.stream().map(String::strip).toList();
            advertiseOwnRelay = advertiseOwnRelay == null || advertiseOwnRelay;
            require(!enabled || advertiseOwnRelay || !externalRelays.isEmpty(), "advertiseOwnRelay", advertiseOwnRelay,
                    "with advertiseOwnRelay false, externalRelays must name at least one relay");
        }
    }

    static void requireIpv4(String key, String value) {
        require(value.matches("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}"), key, value,
                "must be an IPv4 address");
    }

    /** Null for an absent or blank value, else a stripped IPv4 address other than 0.0.0.0. */
    static String optionalConcreteIpv4(String key, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.strip();
        requireIpv4(key, v);
        require(!v.equals("0.0.0.0"), key, v, "must be a concrete address");
        return v;
    }

    static void requirePort(String key, int port) {
        require(port >= 0 && port <= 65535, key, port, "must be between 0 and 65535");
    }

    static int positive(String key, Integer value, int fallback) {
        int v = value == null ? fallback : value;
        require(v >= 1, key, value, "must be at least 1");
        return v;
    }
}
