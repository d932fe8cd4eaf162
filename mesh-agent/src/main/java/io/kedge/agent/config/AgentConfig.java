package io.kedge.agent.config;

import static io.kedge.common.config.ConfigException.require;

import io.kedge.agent.tunnel.InterfaceExclusions;
import io.kedge.common.config.ConfigException;
import io.kedge.common.config.YamlConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * mesh-agent's configuration file. Keys follow EdgeMesh's edgemesh-agent.yaml where the concept is
 * the same ({@code kubeAPIConfig}, {@code commonConfig.bridgeDeviceName}, {@code modules.edgeDNS},
 * {@code modules.edgeProxy}, ...), so an operator's existing knowledge carries over. Every key is
 * optional; defaults suit an edge node with a local metaServer.
 */
public record AgentConfig(String nodeName, String stateDir, KubeApi kubeAPIConfig, Common commonConfig, Modules modules,
                          Admin admin) {
    public static final String DEFAULT_STATE_DIR = "/var/lib/kedge-agent";

    public AgentConfig {
        kubeAPIConfig = kubeAPIConfig == null ? KubeApi.DEFAULT : kubeAPIConfig;
        commonConfig = commonConfig == null ? Common.DEFAULT : commonConfig;
        modules = modules == null ? Modules.DEFAULT : modules;
        admin = admin == null ? Admin.DEFAULT : admin;
        stateDir = stateDir == null || stateDir.isBlank() ? DEFAULT_STATE_DIR : stateDir;
    }

    public static AgentConfig defaults() {
        return new AgentConfig(null, null, null, null, null, null);
    }

    public static AgentConfig load(Path file) {
        return YamlConfig.load(file, AgentConfig.class);
    }

    /**
     * Where the Kubernetes API is: an explicit {@code master} URL, else a {@code kubeConfig} file, else
     * the in-cluster service account when running in a pod, else the edge node's metaServer.
     */
    public record KubeApi(String master, String kubeConfig, MetaServer metaServer, Integer requestTimeoutSeconds) {
        public static final KubeApi DEFAULT = new KubeApi(null, null, null, null);

        public KubeApi {
            metaServer = metaServer == null ? MetaServer.DEFAULT : metaServer;
            requestTimeoutSeconds = requestTimeoutSeconds == null ? 10 : requestTimeoutSeconds;
            require(requestTimeoutSeconds > 0 && requestTimeoutSeconds <= 600, "requestTimeoutSeconds", requestTimeoutSeconds,
                    "must be between 1 and 600");
            if (master != null && !master.isBlank()) {
                require(master.startsWith("http://") || master.startsWith("https://"), "master", master, "must be an http(s) URL");
            }
        }
    }

    public record MetaServer(String server) {
        public static final MetaServer DEFAULT = new MetaServer(null);

        public MetaServer {
            server = server == null || server.isBlank() ? "http://127.0.0.1:10550" : server;
            require(server.startsWith("http://") || server.startsWith("https://"), "server", server, "must be an http(s) URL");
        }
    }

    /** The mesh address: a bridge device the agent creates, holding the address DNS and proxy bind to. */
    public record Common(String bridgeDeviceName, String bridgeDeviceIP) {
        public static final Common DEFAULT = new Common(null, null);

        public Common {
            bridgeDeviceName = bridgeDeviceName == null ? "edgemesh0" : bridgeDeviceName;
            bridgeDeviceIP = bridgeDeviceIP == null ? "169.254.96.16" : bridgeDeviceIP;
            require(bridgeDeviceName.matches("[A-Za-z0-9_.-]{1,15}"), "bridgeDeviceName", bridgeDeviceName,
                    "must be a valid interface name (1-15 letters, digits, '_', '.', '-')");
            require(bridgeDeviceIP.matches("\\d{1,3}(\\.\\d{1,3}){3}"), "bridgeDeviceIP", bridgeDeviceIP, "must be an IPv4 address");
        }
    }

    public record Modules(EdgeDns edgeDNS, EdgeProxy edgeProxy, EdgeTunnel edgeTunnel) {
        public static final Modules DEFAULT = new Modules(null, null, null);

        public Modules {
            edgeDNS = edgeDNS == null ? EdgeDns.DEFAULT : edgeDNS;
            edgeProxy = edgeProxy == null ? EdgeProxy.DEFAULT : edgeProxy;
            edgeTunnel = edgeTunnel == null ? EdgeTunnel.DEFAULT : edgeTunnel;
        }
    }

    /**
     * The cross-node tunnel. EdgeMesh's keys where the concept is the same ({@code enable},
     * {@code listenPort}, {@code enableHolePunch}, {@code heartbeatPeriod} in seconds); then the
     * mesh-servers' signaling addresses ({@code meshServers}, HOST:PORT), how this agent proves
     * its identity to them (node certificate {@code certFile}/{@code keyFile} with the cluster CA
     * {@code caFile}, or the shared {@code joinToken}/{@code joinTokenFile}), and how long an
     * unused tunnel stays open ({@code idleTimeout}, seconds); how a tunnel over a relay looks for a
     * direct path ({@code pathUpgrade}); which network interfaces never offer ICE host candidates
     * ({@code excludeInterfaces}, name patterns with * and ?; default: common container, overlay
     * and VM bridges, see {@link InterfaceExclusions#DEFAULT_PATTERNS}; the mesh bridge always);
     * the direct TCP lane ({@code enableDirectTcp}, default on: TCP streams to a peer whose TLS
     * listener is reachable go over TCP instead of QUIC; {@code tcpListenPort}, default 20006, 0 any).
     */
    public record EdgeTunnel(Boolean enable, Integer listenPort, Boolean enableHolePunch, Integer heartbeatPeriod, List<String> meshServers,
                             String caFile, String certFile, String keyFile, String joinToken, String joinTokenFile, Integer idleTimeout,
                             Integer setupTimeout, PathUpgrade pathUpgrade, List<String> excludeInterfaces, Boolean enableDirectTcp,
                             Integer tcpListenPort) {
        public static final EdgeTunnel DEFAULT = new EdgeTunnel(null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null);
        /** The direct TCP lane's default port: EdgeMesh's tunnel port (its libp2p TCP listener). */
        public static final int DEFAULT_TCP_LISTEN_PORT = 20006;

        public EdgeTunnel {
            meshServers = meshServers == null ? List.of() : List.copyOf(meshServers);
            enable = enable == null ? !meshServers.isEmpty() : enable;
            listenPort = listenPort == null ? 0 : listenPort;
            require(listenPort >= 0 && listenPort < 65536, "listenPort", listenPort, "must be between 0 (any) and 65535");
            enableHolePunch = enableHolePunch == null || enableHolePunch;
            enableDirectTcp = enableDirectTcp == null || enableDirectTcp;
            tcpListenPort = tcpListenPort == null ? DEFAULT_TCP_LISTEN_PORT : tcpListenPort;
            require(tcpListenPort >= 0 && tcpListenPort < 65536, "tcpListenPort", tcpListenPort, "must be between 0 (any) and 65535");
            heartbeatPeriod = heartbeatPeriod == null ? 10 : heartbeatPeriod;
            require(heartbeatPeriod >= 1 && heartbeatPeriod <= 50, "heartbeatPeriod", heartbeatPeriod,
                    "must be between 1 and 50 seconds (below the server's idle timeout and NAT binding lifetimes)");
            idleTimeout = idleTimeout == null ? 300 : idleTimeout;
            require(idleTimeout >= 5 && idleTimeout <= 86400, "idleTimeout", idleTimeout, "must be between 5 and 86400 seconds");
            setupTimeout = setupTimeout == null ? 15 : setupTimeout;
            pathUpgrade = pathUpgrade == null ? PathUpgrade.DEFAULT : pathUpgrade;
            excludeInterfaces = excludeInterfaces == null ? InterfaceExclusions.DEFAULT_PATTERNS : List.copyOf(excludeInterfaces);
            for (int i = 0; i < excludeInterfaces.size(); i++) {
                String pattern = excludeInterfaces.get(i);
                String problem = InterfaceExclusions.problem(pattern);
                require(problem == null, "excludeInterfaces[" + i + "]", pattern, problem);
            }
            require(setupTimeout >= 1 && setupTimeout <= 120, "setupTimeout", setupTimeout, "must be between 1 and 120 seconds");
            for (int i = 0; i < meshServers.size(); i++) {
                String server = meshServers.get(i);
                require(server != null && server.matches("[A-Za-z0-9.-]+:\\d{1,5}"), "meshServers[" + i + "]", server, "expected HOST:PORT");
            }
            require(!enable || !meshServers.isEmpty(), "meshServers", meshServers, "the tunnel needs at least one mesh-server");
            require((certFile == null) == (keyFile == null), certFile == null ? "certFile" : "keyFile", null, "certFile and keyFile go together");
            require(certFile == null || caFile != null, "caFile", null, "a node certificate needs the cluster CA (caFile) to check servers with");
            require(joinToken == null || joinTokenFile == null, "joinTokenFile", joinTokenFile, "set joinToken or joinTokenFile, not both");
            require(!enable || certFile != null || joinToken != null || joinTokenFile != null, "certFile", null,
                    "the tunnel needs an identity: certFile/keyFile (node certificate) or joinToken/joinTokenFile");
        }
    }

    /**
     * Path upgrades: while a tunnel runs over a relay, its offering end tries now and then for a
     * direct path and moves the tunnel onto it when one opens ({@code enable}, default on). The
     * first try waits {@code firstDelay} seconds, each failed one doubles the wait up to
     * {@code maxDelay}; after the move, the relayed connection keeps its open streams for at most
     * {@code drainTimeout} seconds.
     */
    public record PathUpgrade(Boolean enable, Integer firstDelay, Integer maxDelay, Integer drainTimeout) {
        public static final PathUpgrade DEFAULT = new PathUpgrade(null, null, null, null);

        public PathUpgrade {
            enable = enable == null || enable;
            firstDelay = firstDelay == null ? 30 : firstDelay;
            maxDelay = maxDelay == null ? Math.max(600, firstDelay) : maxDelay;
            drainTimeout = drainTimeout == null ? 120 : drainTimeout;
            require(firstDelay >= 1 && firstDelay <= 86400, "firstDelay", firstDelay, "must be between 1 and 86400 seconds");
            require(maxDelay >= firstDelay && maxDelay <= 86400, "maxDelay", maxDelay,
                    "must be between firstDelay (" + firstDelay + ") and 86400 seconds");
            require(drainTimeout >= 1 && drainTimeout <= 3600, "drainTimeout", drainTimeout, "must be between 1 and 3600 seconds");
        }
    }

    /** Cluster DNS on the mesh address. */
    public record EdgeDns(Boolean enable, Integer listenPort, String zone, Integer ttl, CacheDns cacheDNS) {
        public static final EdgeDns DEFAULT = new EdgeDns(null, null, null, null, null);

        public EdgeDns {
            enable = enable == null || enable;
            listenPort = listenPort == null ? 53 : listenPort;
            zone = zone == null ? "cluster.local" : zone;
            ttl = ttl == null ? 30 : ttl;
            cacheDNS = cacheDNS == null ? CacheDns.DEFAULT : cacheDNS;
            require(listenPort > 0 && listenPort < 65536, "listenPort", listenPort, "must be between 1 and 65535");
            require(ttl >= 0 && ttl <= 86400, "ttl", ttl, "must be between 0 and 86400 seconds");
            require(zone.matches("([a-zA-Z0-9-]+\\.)*[a-zA-Z0-9-]+"), "zone", zone, "must be a DNS domain such as cluster.local");
        }
    }

    /**
     * Forwarding of names outside the cluster zone. {@code upstreamServers} default to the
     * nameservers in {@code resolvConf}; {@code cacheTTL} caps how long an answer is cached (its own
     * TTL is honoured below that).
     */
    public record CacheDns(Boolean enable, List<String> upstreamServers, String resolvConf, Integer cacheTTL,
                           Integer maxInFlight) {
        public static final CacheDns DEFAULT = new CacheDns(null, null, null, null, null);

        public CacheDns {
            enable = enable == null || enable;
            upstreamServers = upstreamServers == null ? List.of() : List.copyOf(upstreamServers);
            resolvConf = resolvConf == null ? "/etc/resolv.conf" : resolvConf;
            cacheTTL = cacheTTL == null ? 30 : cacheTTL;
            maxInFlight = maxInFlight == null ? 1024 : maxInFlight;
            require(cacheTTL >= 0 && cacheTTL <= 86400, "cacheTTL", cacheTTL, "must be between 0 and 86400 seconds");
            require(maxInFlight > 0 && maxInFlight <= 100000, "maxInFlight", maxInFlight, "must be between 1 and 100000");
            for (int i = 0; i < upstreamServers.size(); i++) {
                String s = upstreamServers.get(i);
                require(s != null && s.matches("[0-9a-fA-F.:\\[\\]]+"), "upstreamServers[" + i + "]", s,
                        "must be an IP address, optionally with :port");
            }
        }
    }

    /**
     * The ClusterIP proxy. {@code serviceFilterMode} decides which Services are proxied, by the label
     * {@code service.kubernetes.io/service-proxy-name} (EdgeMesh's
     * {@code service.edgemesh.kubeedge.io/service-proxy-name} is honoured too):
     * FilterIfLabelExists (default) skips labelled Services unless the label names this proxy;
     * FilterIfLabelDoesNotExists proxies only Services labelled with this proxy's name.
     */
    public record EdgeProxy(Boolean enable, String serviceFilterMode, String proxyName, LoadBalancer loadBalancer,
                            Integer connectTimeoutMillis, Integer tcpIdleTimeoutSeconds, Integer udpIdleTimeoutSeconds,
                            Iptables iptables, Integer ioThreads, String cpuAffinity) {
        public static final EdgeProxy DEFAULT = new EdgeProxy(null, null, null, null, null, null, null, null, null, null);
        public static final String FILTER_IF_LABEL_EXISTS = "FilterIfLabelExists";
        public static final String FILTER_IF_LABEL_DOES_NOT_EXIST = "FilterIfLabelDoesNotExists";

        public EdgeProxy {
            enable = enable == null || enable;
            serviceFilterMode = serviceFilterMode == null ? FILTER_IF_LABEL_EXISTS : serviceFilterMode;
            proxyName = proxyName == null ? "kedge" : proxyName;
            loadBalancer = loadBalancer == null ? LoadBalancer.DEFAULT : loadBalancer;
            connectTimeoutMillis = connectTimeoutMillis == null ? 3000 : connectTimeoutMillis;
            tcpIdleTimeoutSeconds = tcpIdleTimeoutSeconds == null ? 3600 : tcpIdleTimeoutSeconds;
            udpIdleTimeoutSeconds = udpIdleTimeoutSeconds == null ? 60 : udpIdleTimeoutSeconds;
            iptables = iptables == null ? Iptables.DEFAULT : iptables;
            // 0: one event loop per CPU the agent may use.
            ioThreads = ioThreads == null ? 0 : ioThreads;
            cpuAffinity = cpuAffinity == null ? "none" : cpuAffinity;
            require(ioThreads >= 0 && ioThreads <= 256, "ioThreads", ioThreads, "must be between 0 (one per CPU) and 256");
            require(cpuAffinity.equals("none") || cpuAffinity.equals("spread"), "cpuAffinity", cpuAffinity, "must be none or spread");
            require(serviceFilterMode.equals(FILTER_IF_LABEL_EXISTS) || serviceFilterMode.equals(FILTER_IF_LABEL_DOES_NOT_EXIST),
                    "serviceFilterMode", serviceFilterMode, "must be " + FILTER_IF_LABEL_EXISTS + " or " + FILTER_IF_LABEL_DOES_NOT_EXIST);
            require(connectTimeoutMillis > 0 && connectTimeoutMillis <= 120000, "connectTimeoutMillis", connectTimeoutMillis,
                    "must be between 1 and 120000");
            require(tcpIdleTimeoutSeconds > 0, "tcpIdleTimeoutSeconds", tcpIdleTimeoutSeconds, "must be positive");
            require(udpIdleTimeoutSeconds > 0, "udpIdleTimeoutSeconds", udpIdleTimeoutSeconds, "must be positive");
        }
    }

    /** EdgeMesh-compatible consistent-hash ring parameters. */
    public record LoadBalancer(ConsistentHash consistentHash) {
        public static final LoadBalancer DEFAULT = new LoadBalancer(null);

        public LoadBalancer {
            consistentHash = consistentHash == null ? ConsistentHash.DEFAULT : consistentHash;
        }
    }

    public record ConsistentHash(Integer partitionCount, Integer replicationFactor, Double load) {
        public static final ConsistentHash DEFAULT = new ConsistentHash(null, null, null);

        public ConsistentHash {
            partitionCount = partitionCount == null ? 100 : partitionCount;
            replicationFactor = replicationFactor == null ? 10 : replicationFactor;
            load = load == null ? 1.25 : load;
            require(partitionCount > 0 && partitionCount <= 100000, "partitionCount", partitionCount, "must be between 1 and 100000");
            require(replicationFactor > 0 && replicationFactor <= 1000, "replicationFactor", replicationFactor, "must be between 1 and 1000");
            require(load >= 1.0, "load", load, "must be at least 1.0");
        }
    }

    /** iptables: {@code backend} auto, nft or legacy; rules are re-checked every {@code resyncPeriodSeconds}. */
    public record Iptables(String backend, Integer resyncPeriodSeconds) {
        public static final Iptables DEFAULT = new Iptables(null, null);

        public Iptables {
            backend = backend == null ? "auto" : backend;
            resyncPeriodSeconds = resyncPeriodSeconds == null ? 30 : resyncPeriodSeconds;
            require(List.of("auto", "nft", "legacy").contains(backend), "backend", backend, "must be auto, nft or legacy");
            require(resyncPeriodSeconds > 0 && resyncPeriodSeconds <= 3600, "resyncPeriodSeconds", resyncPeriodSeconds,
                    "must be between 1 and 3600");
        }
    }

    /** Health, metrics and the state endpoints meshctl reads. */
    public record Admin(String listen) {
        public static final Admin DEFAULT = new Admin(null);

        public Admin {
            listen = listen == null ? "127.0.0.1:10560" : listen;
            int colon = listen.lastIndexOf(':');
            require(colon > 0 && listen.substring(colon + 1).matches("\\d{1,5}"), "listen", listen, "must be HOST:PORT");
        }
    }

    /** The node name: the config's, else the NODE_NAME environment variable; required. */
    public String resolvedNodeName() {
        String name = nodeName != null && !nodeName.isBlank() ? nodeName : System.getenv("NODE_NAME");
        if (name == null || name.isBlank()) {
            throw new ConfigException("nodeName", null, "is required: set nodeName in the config, --node-name, or the NODE_NAME environment variable");
        }
        return name;
    }
}
