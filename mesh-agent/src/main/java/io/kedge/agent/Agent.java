package io.kedge.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kedge.agent.catalog.CatalogStore;
import io.kedge.agent.config.AgentConfig;
import io.kedge.agent.discovery.CatalogStateFile;
import io.kedge.agent.discovery.CatalogTranslator;
import io.kedge.agent.discovery.ClusterDiscovery;
import io.kedge.agent.discovery.KubeClients;
import io.kedge.agent.dns.DnsConfig;
import io.kedge.agent.dns.DnsServer;
import io.kedge.agent.netdev.MeshBridge;
import io.kedge.agent.proxy.ProxyConfig;
import io.kedge.agent.proxy.ProxyManager;
import io.kedge.agent.rules.ServiceRules;
import io.kedge.agent.rules.ServiceRulesManager;
import io.kedge.iptables.backend.BackendMode;
import io.kedge.iptables.backend.Backends;
import io.kedge.agent.tunnel.CatalogTargets;
import io.kedge.agent.tunnel.InterfaceExclusions;
import io.kedge.agent.tunnel.PathUpgradePolicy;
import io.kedge.agent.tunnel.SignalingTls;
import io.kedge.agent.tunnel.Tunnel;
import io.kedge.agent.tunnel.TunnelService;
import io.kedge.common.signaling.SignalMessage;
import io.kedge.common.admin.AdminServer;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.exec.CommandRunner;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.kedge.common.lifecycle.StopOrder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent: wires the mesh bridge, discovery, DNS, proxy and iptables rules together, and
 * takes them down in reverse order. Every module that starts registers how to stop it, so a failed
 * start leaves nothing behind.
 */
public final class Agent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    private final AgentConfig config;
    private final String nodeName;
    private final CommandRunner runner = new CommandRunner();
    private final PrometheusRegistry metrics = new PrometheusRegistry();
    private final StopOrder stopOrder = new StopOrder();
    private final Instant startedAt = Instant.now();
    private AdminServer admin;
    private CatalogStore store;
    private ClusterDiscovery discovery;
    private MeshBridge bridge;
    private ProxyManager proxy;
    private ServiceRulesManager serviceRules;
    private Tunnel tunnel = Tunnel.NONE;
    private volatile boolean closed;

    public Agent(AgentConfig config, String nodeName) {
        this.config = config;
        this.nodeName = nodeName;
    }

    public void start() {
        try {
            startModules();
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void startModules() throws IOException {
        admin = new AdminServer(hostPort(config.admin().listen()), metrics);
        stopOrder.push(admin);

        bridge = new MeshBridge(runner, config.commonConfig().bridgeDeviceName(), config.commonConfig().bridgeDeviceIP());
        bridge.ensure();
        stopOrder.push(bridge);

        store = new CatalogStore();
        stopOrder.push(store);
        KubernetesClient client = KubeClients.create(config.kubeAPIConfig());
        stopOrder.push(client);
        discovery = new ClusterDiscovery(client, new CatalogTranslator(config), store,
                new CatalogStateFile(Path.of(config.stateDir())), metrics);
        discovery.start();
        stopOrder.push(discovery);

        if (config.modules().edgeDNS().enable()) {
            DnsServer dns = new DnsServer(DnsConfig.from(config), store::current, metrics);
            dns.start();
            stopOrder.push(dns);
            admin.check("dns", dns::problem);
            admin.json("/debug/dns", () -> Map.of("zone", config.modules().edgeDNS().zone(), "listen", String.valueOf(dns.udpAddress()),
                    "upstreams", dns.upstreamServers().stream().map(String::valueOf).toList(), "records", dns.records()));
            log.info("DNS on {} (udp) and {} (tcp); upstreams {}", dns.udpAddress(), dns.tcpAddress(), dns.upstreamServers());
        }

        startTunnel();
        if (config.modules().edgeProxy().enable()) {
            startProxy();
        }

        admin.check("catalog", () -> store.current().generation() == 0 ? discovery.problem() : null);
        admin.json("/debug/status", this::status);
        log.info("mesh-agent {} on node {}: API {} ({})", VersionProvider.version(), nodeName,
                KubeClients.source(config.kubeAPIConfig()).url(), KubeClients.source(config.kubeAPIConfig()).kind());
    }

    /**
     * The ClusterIP proxy and the iptables rules that feed it: every catalog snapshot is reconciled into
     * listeners, and every change of listeners into DNAT rules. The rules stop (and are removed) before
     * the listeners, so no ClusterIP packet is sent to a closed port on the way down.
     */
    private void startProxy() {
        ProxyManager proxyManager = new ProxyManager(ProxyConfig.from(config), nodeName, tunnel, metrics);
        stopOrder.push(proxyManager);
        AgentConfig.Iptables iptables = config.modules().edgeProxy().iptables();
        ServiceRulesManager rules = new ServiceRulesManager(
                Backends.system(runner, List.of(), BackendMode.parse("modules.edgeProxy.iptables.backend", iptables.backend())),
                Duration.ofSeconds(iptables.resyncPeriodSeconds()), metrics);
        rules.start();
        stopOrder.push(rules);
        proxyManager.onProxiedPortsChanged(rules::apply);
        store.listen(proxyManager::reconcile);
        proxy = proxyManager;
        serviceRules = rules;
        admin.check("proxy", proxyManager::healthProblem);
        admin.check("iptables", rules::healthProblem);
        admin.json("/debug/services", proxyManager::state);
        log.info("proxy listening on {}; iptables chain {} installed", config.commonConfig().bridgeDeviceIP(), ServiceRules.CHAIN);
    }

    /** The cross-node tunnel (modules.edgeTunnel), when enabled: the proxy's Dialer takes it. */
    private void startTunnel() {
        AgentConfig.EdgeTunnel t = config.modules().edgeTunnel();
        if (!t.enable()) {
            return;
        }
        String token = SignalingTls.joinToken(t);
        TunnelService service = new TunnelService(new TunnelService.Settings(nodeName, t.meshServers(), SignalingTls.client(t),
                () -> new SignalMessage.Register(nodeName, token, ownAddresses()), t.heartbeatPeriod(), t.idleTimeout(),
                t.setupTimeout(), t.enableHolePunch(), t.listenPort(), config.commonConfig().bridgeDeviceName(),
                new PathUpgradePolicy(t.pathUpgrade().enable(), Duration.ofSeconds(t.pathUpgrade().firstDelay()),
                        Duration.ofSeconds(t.pathUpgrade().maxDelay()), Duration.ofSeconds(t.pathUpgrade().drainTimeout())),
                InterfaceExclusions.of(t.excludeInterfaces()), t.enableDirectTcp() ? t.tcpListenPort() : -1),
                new CatalogTargets(nodeName, store::current), metrics);
        service.start();
        stopOrder.push(service);
        tunnel = service;
        admin.json("/debug/peers", service::peers);
        admin.check("tunnel", () -> service.connected() ? null : "not registered with any mesh-server");
        log.info("tunnel via mesh-servers {}", t.meshServers());
    }

    /** This node's addresses as the Catalog knows them: the relay may then reach them. */
    private java.util.List<String> ownAddresses() {
        var self = store.current().nodes().get(nodeName);
        if (self == null) {
            return java.util.List.of();
        }
        java.util.List<String> all = new java.util.ArrayList<>(self.internalIPs());
        all.addAll(self.externalIPs());
        return all.stream().filter(a -> a.matches("\\d{1,3}(\\.\\d{1,3}){3}")).distinct().limit(16).toList();
    }

    /** The tunnel for the proxy's Dialer ({@link Tunnel#NONE} when modules.edgeTunnel is off). */
    public Tunnel tunnel() {
        return tunnel;
    }

    /** What {@code meshctl status} shows. */
    Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("node", nodeName);
        s.put("version", VersionProvider.version());
        s.put("startedAt", startedAt.toString());
        KubeClients.Source source = KubeClients.source(config.kubeAPIConfig());
        s.put("api", Map.of("kind", source.kind(), "url", source.url(), "synced", discovery.synced(),
                "watching", discovery.watching(), "problem", String.valueOf(discovery.problem())));
        s.put("meshAddress", bridge.address() + " on " + bridge.device());
        var catalog = store.current();
        s.put("catalog", Map.of("generation", catalog.generation(), "services", catalog.services().size(),
                "endpoints", catalog.endpoints().values().stream().mapToInt(java.util.List::size).sum(),
                "nodes", catalog.nodes().size()));
        if (proxy != null) {
            s.put("proxy", Map.of("ports", proxy.proxiedPorts().size(), "openChannels", proxy.openChannels(),
                    "udpSessions", proxy.udpSessions(), "iptablesRules", serviceRules.ruleCount(),
                    "problem", String.valueOf(proxy.healthProblem())));
        }
        return s;
    }

    static InetSocketAddress hostPort(String text) {
        int colon = text.lastIndexOf(':');
        return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    }

    public PrometheusRegistry metrics() {
        return metrics;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopOrder.stopAll();
        log.info("mesh-agent stopped");
    }
}
