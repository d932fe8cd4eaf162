package io.kedge.agent.proxy;

import io.kedge.common.net.NetTransport;
import static io.kedge.common.config.ConfigException.require;

import io.kedge.agent.config.AgentConfig;
import io.kedge.agent.lb.RingParameters;
import java.time.Duration;

/**
 * How the ClusterIP proxy listens and forwards.
 *
 * @param listenAddress             the address every listener binds (the mesh address, 169.254.96.16, in production)
 * @param portRangeStart            first port listeners may take; 0 (with {@code portRangeEnd} 0) lets the OS choose
 * @param portRangeEnd              last port listeners may take (inclusive)
 * @param ioThreads                 event loop threads (0: one per CPU the JVM may use, see {@link #eventLoops()})
 * @param transport                 I/O implementation, see {@link NettyTransport}
 * @param cpuAffinity               whether each event loop is pinned to a CPU of its own, see {@link CpuAffinity}
 * @param connectTimeout            how long one upstream dial may take
 * @param connectAttempts           endpoints tried per connection or request before giving up
 * @param retryBackoff              pause before trying an endpoint that already failed once (doubles each round, as EdgeMesh's 250 ms, 500 ms, 1 s ...)
 * @param tcpIdleTimeout            a TCP (or HTTP) connection with no traffic either way for this long is closed
 * @param udpIdleTimeout            a UDP session with no datagram either way for this long is reclaimed
 * @param udpMaxSessions            UDP sessions per Service port; datagrams from further clients are dropped
 * @param udpPendingDatagrams       datagrams held per UDP session while its upstream is being opened
 * @param httpMaxInitialLine        longest HTTP request or status line accepted
 * @param httpMaxHeaderSize         largest HTTP header block accepted (requests: 431; responses: 502)
 * @param httpMaxIdlePerEndpoint    idle keep-alive upstream connections kept per endpoint and event loop
 * @param httpMaxConnectionsPerEndpoint open upstream connections per endpoint and Service port
 * @param httpPoolIdleTimeout       an idle pooled upstream connection is closed after this long
 * @param ring                      consistent-hash ring shape
 * @param affinityMaxClients        clients remembered per Service port for ClientIP session affinity
 */
public record ProxyConfig(String listenAddress, int portRangeStart, int portRangeEnd, int ioThreads,
                          NetTransport.Type transport, CpuAffinity cpuAffinity, Duration connectTimeout,
                          int connectAttempts, Duration retryBackoff, Duration tcpIdleTimeout, Duration udpIdleTimeout,
                          int udpMaxSessions, int udpPendingDatagrams, int httpMaxInitialLine, int httpMaxHeaderSize,
                          int httpMaxIdlePerEndpoint, int httpMaxConnectionsPerEndpoint, Duration httpPoolIdleTimeout,
                          RingParameters ring, int affinityMaxClients) {
    public static final String MESH_ADDRESS = "169.254.96.16";

    public ProxyConfig {
        require(listenAddress != null && !listenAddress.isBlank(), "listenAddress", listenAddress, "is required");
        require(portRangeStart >= 0 && portRangeStart <= 65535, "portRangeStart", portRangeStart, "must be between 0 and 65535");
        require(portRangeEnd >= portRangeStart && portRangeEnd <= 65535, "portRangeEnd", portRangeEnd,
                "must be between portRangeStart and 65535");
        require((portRangeStart == 0) == (portRangeEnd == 0), "portRangeStart", portRangeStart,
                "and portRangeEnd must both be 0 (OS-chosen ports) or both set");
        require(ioThreads >= 0 && ioThreads <= 256, "ioThreads", ioThreads, "must be between 0 and 256");
        require(transport != null, "transport", null, "is required (NIO, EPOLL or AUTO)");
        require(cpuAffinity != null, "cpuAffinity", null, "is required (none or spread)");
        requirePositive(connectTimeout, "connectTimeout");
        require(connectAttempts >= 1 && connectAttempts <= 16, "connectAttempts", connectAttempts, "must be between 1 and 16");
        require(retryBackoff != null && !retryBackoff.isNegative(), "retryBackoff", retryBackoff, "must be zero or positive");
        requirePositive(tcpIdleTimeout, "tcpIdleTimeout");
        requirePositive(udpIdleTimeout, "udpIdleTimeout");
        require(udpMaxSessions >= 1, "udpMaxSessions", udpMaxSessions, "must be at least 1");
        require(udpPendingDatagrams >= 1 && udpPendingDatagrams <= 4096, "udpPendingDatagrams", udpPendingDatagrams,
                "must be between 1 and 4096");
        require(httpMaxInitialLine >= 256 && httpMaxInitialLine <= 1 << 20, "httpMaxInitialLine", httpMaxInitialLine,
                "must be between 256 and 1048576");
        require(httpMaxHeaderSize >= 1024 && httpMaxHeaderSize <= 1 << 20, "httpMaxHeaderSize", httpMaxHeaderSize,
                "must be between 1024 and 1048576");
        require(httpMaxIdlePerEndpoint >= 0, "httpMaxIdlePerEndpoint", httpMaxIdlePerEndpoint, "must not be negative");
        require(httpMaxConnectionsPerEndpoint >= 1, "httpMaxConnectionsPerEndpoint", httpMaxConnectionsPerEndpoint,
                "must be at least 1");
        requirePositive(httpPoolIdleTimeout, "httpPoolIdleTimeout");
        require(ring != null, "ring", null, "is required");
        require(affinityMaxClients >= 1, "affinityMaxClients", affinityMaxClients, "must be at least 1");
    }

    /**
     * Event loop threads to start: {@code ioThreads}, or with 0 one per CPU the JVM may use (its
     * container's limit), as HAProxy's default nbthread. Netty's own default, two per core, only
     * adds threads that contend for the same CPUs.
     */
    public int eventLoops() {
        return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    }

    private static void requirePositive(Duration d, String key) {
        require(d != null && !d.isNegative() && !d.isZero(), key, d, "must be positive");
    }

    /** Defaults for a node: the mesh address, OS-chosen ports, generous timeouts. */
    public static ProxyConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The proxy settings of the agent's configuration file (EdgeMesh-style keys). */
    public static ProxyConfig from(AgentConfig config) {
        AgentConfig.EdgeProxy p = config.modules().edgeProxy();
        AgentConfig.ConsistentHash ch = p.loadBalancer().consistentHash();
        return builder()
                .listenAddress(config.commonConfig().bridgeDeviceIP())
                .ioThreads(p.ioThreads())
                .cpuAffinity(CpuAffinity.parse("modules.edgeProxy.cpuAffinity", p.cpuAffinity()))
                .connectTimeout(Duration.ofMillis(p.connectTimeoutMillis()))
                .tcpIdleTimeout(Duration.ofSeconds(p.tcpIdleTimeoutSeconds()))
                .udpIdleTimeout(Duration.ofSeconds(p.udpIdleTimeoutSeconds()))
                .ring(new RingParameters(ch.partitionCount(), ch.replicationFactor(), ch.load()))
                .build();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.listenAddress = listenAddress;
        b.portRangeStart = portRangeStart;
        b.portRangeEnd = portRangeEnd;
        b.ioThreads = ioThreads;
        b.transport = transport;
        b.cpuAffinity = cpuAffinity;
        b.connectTimeout = connectTimeout;
        b.connectAttempts = connectAttempts;
        b.retryBackoff = retryBackoff;
        b.tcpIdleTimeout = tcpIdleTimeout;
        b.udpIdleTimeout = udpIdleTimeout;
        b.udpMaxSessions = udpMaxSessions;
        b.udpPendingDatagrams = udpPendingDatagrams;
        b.httpMaxInitialLine = httpMaxInitialLine;
        b.httpMaxHeaderSize = httpMaxHeaderSize;
        b.httpMaxIdlePerEndpoint = httpMaxIdlePerEndpoint;
        b.httpMaxConnectionsPerEndpoint = httpMaxConnectionsPerEndpoint;
        b.httpPoolIdleTimeout = httpPoolIdleTimeout;
        b.ring = ring;
        b.affinityMaxClients = affinityMaxClients;
        return b;
    }

    /** Starts from the defaults; {@link #build()} validates. */
    public static final class Builder {
        private String listenAddress = MESH_ADDRESS;
        private int portRangeStart;
        private int portRangeEnd;
        private int ioThreads;
        private NetTransport.Type transport = NetTransport.Type.AUTO;
        private CpuAffinity cpuAffinity = CpuAffinity.NONE;
        private Duration connectTimeout = Duration.ofSeconds(3);
        private int connectAttempts = 3;
        private Duration retryBackoff = Duration.ofMillis(250);
        private Duration tcpIdleTimeout = Duration.ofHours(1);
        private Duration udpIdleTimeout = Duration.ofSeconds(60);
        private int udpMaxSessions = 16384;
        private int udpPendingDatagrams = 64;
        private int httpMaxInitialLine = 8192;
        private int httpMaxHeaderSize = 16384;
        private int httpMaxIdlePerEndpoint = 64;
        private int httpMaxConnectionsPerEndpoint = 4096;
        private Duration httpPoolIdleTimeout = Duration.ofSeconds(60);
        private RingParameters ring = RingParameters.EDGEMESH_DEFAULTS;
        private int affinityMaxClients = 65536;

        private Builder() {
        }

        public Builder listenAddress(String v) {
            listenAddress = v;
            return this;
        }

        public Builder portRange(int start, int end) {
            portRangeStart = start;
            portRangeEnd = end;
            return this;
        }

        public Builder ioThreads(int v) {
            ioThreads = v;
            return this;
        }

        public Builder transport(NetTransport.Type v) {
            transport = v;
            return this;
        }

        public Builder cpuAffinity(CpuAffinity v) {
            cpuAffinity = v;
            return this;
        }

        public Builder connectTimeout(Duration v) {
            connectTimeout = v;
            return this;
        }

        public Builder retries(int attempts, Duration backoff) {
            connectAttempts = attempts;
            retryBackoff = backoff;
            return this;
        }

        public Builder tcpIdleTimeout(Duration v) {
            tcpIdleTimeout = v;
            return this;
        }

        public Builder udpIdleTimeout(Duration v) {
            udpIdleTimeout = v;
            return this;
        }

        public Builder udpLimits(int maxSessions, int pendingDatagrams) {
            udpMaxSessions = maxSessions;
            udpPendingDatagrams = pendingDatagrams;
            return this;
        }

        public Builder httpLimits(int maxInitialLine, int maxHeaderSize) {
            httpMaxInitialLine = maxInitialLine;
            httpMaxHeaderSize = maxHeaderSize;
            return this;
        }

        public Builder httpPool(int maxIdlePerEndpoint, int maxConnectionsPerEndpoint, Duration poolIdleTimeout) {
            httpMaxIdlePerEndpoint = maxIdlePerEndpoint;
            httpMaxConnectionsPerEndpoint = maxConnectionsPerEndpoint;
            httpPoolIdleTimeout = poolIdleTimeout;
            return this;
        }

        public Builder ring(RingParameters v) {
            ring = v;
            return this;
        }

        public Builder affinityMaxClients(int v) {
            affinityMaxClients = v;
            return this;
        }

        public ProxyConfig build() {
            return new ProxyConfig(listenAddress, portRangeStart, portRangeEnd, ioThreads, transport, cpuAffinity, connectTimeout, connectAttempts,
                    retryBackoff, tcpIdleTimeout, udpIdleTimeout, udpMaxSessions, udpPendingDatagrams, httpMaxInitialLine,
                    httpMaxHeaderSize, httpMaxIdlePerEndpoint, httpMaxConnectionsPerEndpoint, httpPoolIdleTimeout, ring,
                    affinityMaxClients);
        }
    }
}
