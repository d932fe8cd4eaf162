package io.kedge.agent.dns;

import static io.kedge.common.config.ConfigException.require;

import io.kedge.agent.config.AgentConfig;
import io.kedge.common.config.YamlConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Address;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * Settings of the node's DNS server. Every key is optional (null means the default), so the record
 * reads from YAML with {@link YamlConfig} and names the offending key when a value is wrong.
 *
 * @param listenAddress            IP literal the UDP and TCP listeners bind to (default 169.254.96.16)
 * @param listenPort               port of both listeners; 0 picks a free one (tests) (default 53)
 * @param zone                     the cluster zone answered from the catalog (default cluster.local)
 * @param ttlSeconds               TTL of zone answers, also the SOA minimum of zone negatives (default 30)
 * @param upstreamServers          servers for names outside the zone, {@code IP}, {@code IP:port} or
 *                                 {@code [IPv6]:port}; empty means the nameservers of {@code resolvConf}
 * @param resolvConf               where to read the default upstream servers (default /etc/resolv.conf)
 * @param maxCacheTtlSeconds       forwarded answers are cached for their TTL, at most this; 0 disables the cache (default 300)
 * @param negativeCacheTtlSeconds  cap on how long NXDOMAIN/NODATA answers are cached (RFC 2308) (default 30)
 * @param serveStaleSeconds        how long past expiry a cached answer may still be served when every
 *                                 upstream fails (RFC 8767); 0 disables (default 3600)
 * @param cacheMaxEntries          bound on cached answers, least recently used evicted first (default 10000)
 * @param upstreamTimeoutMillis    time allowed to one upstream for one query (default 2000)
 * @param maxInFlight              bound on distinct upstream queries at once; beyond it clients get SERVFAIL (default 1024)
 * @param udpPayloadSize           EDNS payload size advertised to clients and upstreams, 512..4096 (default 1232)
 * @param tcpIdleTimeoutSeconds    idle TCP client connections are closed after this (default 10)
 * @param maxTcpConnections        bound on concurrent TCP client connections (default 256)
 * @param eventLoopThreads         I/O threads; 0 means one per CPU (default 0)
 */
public record DnsConfig(String listenAddress, Integer listenPort, String zone, Integer ttlSeconds,
                        List<String> upstreamServers, String resolvConf, Integer maxCacheTtlSeconds,
                        Integer negativeCacheTtlSeconds, Integer serveStaleSeconds, Integer cacheMaxEntries,
                        Integer upstreamTimeoutMillis, Integer maxInFlight, Integer udpPayloadSize,
                        Integer tcpIdleTimeoutSeconds, Integer maxTcpConnections, Integer eventLoopThreads) {
    public static final String DEFAULT_LISTEN_ADDRESS = "169.254.96.16";
    public static final String DEFAULT_RESOLV_CONF = "/etc/resolv.conf";
    /** More upstreams than this only lengthen the worst case (each is tried in turn). */
    public static final int MAX_UPSTREAMS = 8;

    public DnsConfig {
        listenAddress = listenAddress == null ? DEFAULT_LISTEN_ADDRESS : listenAddress;
        listenPort = listenPort == null ? 53 : listenPort;
        zone = zone == null ? "cluster.local" : zone;
        ttlSeconds = ttlSeconds == null ? 30 : ttlSeconds;
        upstreamServers = upstreamServers == null ? List.of() : List.copyOf(upstreamServers);
        resolvConf = resolvConf == null ? DEFAULT_RESOLV_CONF : resolvConf;
        maxCacheTtlSeconds = maxCacheTtlSeconds == null ? 300 : maxCacheTtlSeconds;
        negativeCacheTtlSeconds = negativeCacheTtlSeconds == null ? 30 : negativeCacheTtlSeconds;
        serveStaleSeconds = serveStaleSeconds == null ? 3600 : serveStaleSeconds;
        cacheMaxEntries = cacheMaxEntries == null ? 10_000 : cacheMaxEntries;
        upstreamTimeoutMillis = upstreamTimeoutMillis == null ? 2000 : upstreamTimeoutMillis;
        maxInFlight = maxInFlight == null ? 1024 : maxInFlight;
        udpPayloadSize = udpPayloadSize == null ? 1232 : udpPayloadSize;
        tcpIdleTimeoutSeconds = tcpIdleTimeoutSeconds == null ? 10 : tcpIdleTimeoutSeconds;
        maxTcpConnections = maxTcpConnections == null ? 256 : maxTcpConnections;
        eventLoopThreads = eventLoopThreads == null ? 0 : eventLoopThreads;

        require(ipLiteral(listenAddress) != null, "listenAddress", listenAddress, "must be an IP address");
        require(listenPort >= 0 && listenPort <= 65535, "listenPort", listenPort, "must be between 0 and 65535");
        require(zoneName(zone) != null, "zone", zone, "must be a DNS domain such as cluster.local");
        require(ttlSeconds >= 0 && ttlSeconds <= 86400, "ttlSeconds", ttlSeconds, "must be between 0 and 86400");
        require(upstreamServers.size() <= MAX_UPSTREAMS, "upstreamServers", upstreamServers.size(),
                "must list at most " + MAX_UPSTREAMS + " servers");
        for (int i = 0; i < upstreamServers.size(); i++) {
            String s = upstreamServers.get(i);
            require(s != null && parseServer(s) != null, "upstreamServers[" + i + "]", s,
                    "must be an IP address, IP:port or [IPv6]:port");
        }
        require(!resolvConf.isBlank(), "resolvConf", resolvConf, "must be a file path");
        require(maxCacheTtlSeconds >= 0 && maxCacheTtlSeconds <= 86400, "maxCacheTtlSeconds", maxCacheTtlSeconds,
                "must be between 0 and 86400");
        require(negativeCacheTtlSeconds >= 0 && negativeCacheTtlSeconds <= 86400, "negativeCacheTtlSeconds",
                negativeCacheTtlSeconds, "must be between 0 and 86400");
        require(serveStaleSeconds >= 0 && serveStaleSeconds <= 7 * 86400, "serveStaleSeconds", serveStaleSeconds,
                "must be between 0 and 604800");
        require(cacheMaxEntries >= 0 && cacheMaxEntries <= 10_000_000, "cacheMaxEntries", cacheMaxEntries,
                "must be between 0 and 10000000");
        require(upstreamTimeoutMillis >= 10 && upstreamTimeoutMillis <= 60_000, "upstreamTimeoutMillis",
                upstreamTimeoutMillis, "must be between 10 and 60000");
        require(maxInFlight >= 1 && maxInFlight <= 100_000, "maxInFlight", maxInFlight, "must be between 1 and 100000");
        require(udpPayloadSize >= 512 && udpPayloadSize <= 4096, "udpPayloadSize", udpPayloadSize,
                "must be between 512 and 4096");
        require(tcpIdleTimeoutSeconds >= 1 && tcpIdleTimeoutSeconds <= 3600, "tcpIdleTimeoutSeconds",
                tcpIdleTimeoutSeconds, "must be between 1 and 3600");
        require(maxTcpConnections >= 1 && maxTcpConnections <= 100_000, "maxTcpConnections", maxTcpConnections,
                "must be between 1 and 100000");
        require(eventLoopThreads >= 0 && eventLoopThreads <= 256, "eventLoopThreads", eventLoopThreads,
                "must be between 0 and 256");
    }

    /** Every default. */
    public static DnsConfig defaults() {
        return builder().build();
    }

    public static DnsConfig load(Path file) {
        return YamlConfig.load(file, DnsConfig.class);
    }

    /**
     * The DNS settings of the agent's configuration file: {@code commonConfig.bridgeDeviceIP} and the
     * EdgeMesh-style {@code modules.edgeDNS} keys ({@code cacheDNS.cacheTTL} caps the cache TTL;
     * {@code cacheDNS.enable: false} turns the cache off). Other settings keep their defaults.
     */
    public static DnsConfig from(AgentConfig agent) {
        AgentConfig.EdgeDns dns = agent.modules().edgeDNS();
        AgentConfig.CacheDns cache = dns.cacheDNS();
        return builder()
                .listenAddress(agent.commonConfig().bridgeDeviceIP())
                .listenPort(dns.listenPort())
                .zone(dns.zone())
                .ttlSeconds(dns.ttl())
                .upstreamServers(cache.upstreamServers())
                .resolvConf(cache.resolvConf())
                .maxCacheTtlSeconds(cache.enable() ? cache.cacheTTL() : 0)
                .maxInFlight(cache.maxInFlight())
                .build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public static Builder builder() {
        return new Builder(null);
    }

    /** The zone as an absolute name. */
    public Name zoneName() {
        return zoneName(zone);
    }

    public InetAddress listenInetAddress() {
        return ipLiteral(listenAddress);
    }

    /** {@link #upstreamServers} as socket addresses (port 53 unless given). */
    public List<InetSocketAddress> upstreamAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        upstreamServers.forEach(s -> out.add(parseServer(s)));
        return out;
    }

    /** Parses {@code IP}, {@code IP:port}, {@code IPv6} or {@code [IPv6]:port}; null if it is none of these. */
    public static InetSocketAddress parseServer(String text) {
        String host = text.trim();
        int port = 53;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) {
                return null;
            }
            String rest = host.substring(close + 1);
            host = host.substring(1, close);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return null;
                }
                port = parsePort(rest.substring(1));
            }
        } else if (host.indexOf(':') >= 0 && host.indexOf(':') == host.lastIndexOf(':')) {
            int colon = host.indexOf(':');
            port = parsePort(host.substring(colon + 1));
            host = host.substring(0, colon);
        }
        InetAddress ip = ipLiteral(host);
        return ip == null || port < 1 ? null : new InetSocketAddress(ip, port);
    }

    private static int parsePort(String text) {
        if (!text.matches("\\d{1,5}")) {
            return -1;
        }
        int port = Integer.parseInt(text);
        return port <= 65535 ? port : -1;
    }

    /** The address an IP literal denotes, never looking a name up; null if it is not a literal. */
    static InetAddress ipLiteral(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            int family = text.indexOf(':') >= 0 ? Address.IPv6 : Address.IPv4;
            return Address.getByAddress(text, family);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    private static Name zoneName(String zone) {
        if (zone == null || zone.isBlank() || !zone.matches("([a-zA-Z0-9-]+\\.)*[a-zA-Z0-9-]+\\.?")) {
            return null;
        }
        try {
            return Name.fromString(zone.endsWith(".") ? zone : zone + ".");
        } catch (TextParseException e) {
            return null;
        }
    }

    /** Builds a config from a few settings; everything not set keeps its default. */
    public static final class Builder {
        private String listenAddress;
        private Integer listenPort;
        private String zone;
        private Integer ttlSeconds;
        private List<String> upstreamServers;
        private String resolvConf;
        private Integer maxCacheTtlSeconds;
        private Integer negativeCacheTtlSeconds;
        private Integer serveStaleSeconds;
        private Integer cacheMaxEntries;
        private Integer upstreamTimeoutMillis;
        private Integer maxInFlight;
        private Integer udpPayloadSize;
        private Integer tcpIdleTimeoutSeconds;
        private Integer maxTcpConnections;
        private Integer eventLoopThreads;

        private Builder(DnsConfig c) {
            if (c != null) {
                listenAddress = c.listenAddress;
                listenPort = c.listenPort;
                zone = c.zone;
                ttlSeconds = c.ttlSeconds;
                upstreamServers = c.upstreamServers;
                resolvConf = c.resolvConf;
                maxCacheTtlSeconds = c.maxCacheTtlSeconds;
                negativeCacheTtlSeconds = c.negativeCacheTtlSeconds;
                serveStaleSeconds = c.serveStaleSeconds;
                cacheMaxEntries = c.cacheMaxEntries;
                upstreamTimeoutMillis = c.upstreamTimeoutMillis;
                maxInFlight = c.maxInFlight;
                udpPayloadSize = c.udpPayloadSize;
                tcpIdleTimeoutSeconds = c.tcpIdleTimeoutSeconds;
                maxTcpConnections = c.maxTcpConnections;
                eventLoopThreads = c.eventLoopThreads;
            }
        }

        public Builder listenAddress(String v) { listenAddress = v; return this; }
        public Builder listenPort(int v) { listenPort = v; return this; }
        public Builder zone(String v) { zone = v; return this; }
        public Builder ttlSeconds(int v) { ttlSeconds = v; return this; }
        public Builder upstreamServers(List<String> v) { upstreamServers = v; return this; }
        public Builder resolvConf(String v) { resolvConf = v; return this; }
        public Builder maxCacheTtlSeconds(int v) { maxCacheTtlSeconds = v; return this; }
        public Builder negativeCacheTtlSeconds(int v) { negativeCacheTtlSeconds = v; return this; }
        public Builder serveStaleSeconds(int v) { serveStaleSeconds = v; return this; }
        public Builder cacheMaxEntries(int v) { cacheMaxEntries = v; return this; }
        public Builder upstreamTimeoutMillis(int v) { upstreamTimeoutMillis = v; return this; }
        public Builder maxInFlight(int v) { maxInFlight = v; return this; }
        public Builder udpPayloadSize(int v) { udpPayloadSize = v; return this; }
        public Builder tcpIdleTimeoutSeconds(int v) { tcpIdleTimeoutSeconds = v; return this; }
        public Builder maxTcpConnections(int v) { maxTcpConnections = v; return this; }
        public Builder eventLoopThreads(int v) { eventLoopThreads = v; return this; }

        public DnsConfig build() {
            return new DnsConfig(listenAddress, listenPort, zone, ttlSeconds, upstreamServers, resolvConf,
                    maxCacheTtlSeconds, negativeCacheTtlSeconds, serveStaleSeconds, cacheMaxEntries,
                    upstreamTimeoutMillis, maxInFlight, udpPayloadSize, tcpIdleTimeoutSeconds, maxTcpConnections,
                    eventLoopThreads);
        }
    }
}
