package io.kedge.agent.proxy;

import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.proxy.http.HttpListener;
import io.kedge.agent.proxy.tcp.TcpListener;
import io.kedge.agent.proxy.udp.UdpListener;
import io.kedge.agent.tunnel.Tunnel;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ClusterIP proxy's reconciler. For every catalog snapshot: desired listeners (one per TCP or
 * UDP port of every proxiable Service; SCTP is not proxied) -> diff against the running ones ->
 * stop the unwanted, start the missing, hand the others their new route (endpoints, policy,
 * affinity) without disturbing established connections. Listeners bind the configured address on
 * an OS-chosen port (or one from the configured range); {@link #proxiedPorts()} lists them for the
 * agent's DNAT rules, and listeners registered with {@link #onProxiedPortsChanged} hear of every change.
 *
 * <p>{@link #reconcile} and {@link #close} block while sockets bind and close: call them from the
 * catalog dispatcher (or another ordinary thread), never from an event loop.
 */
public final class ProxyManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyManager.class);
    private static final long SWEEP_SECONDS = 30;

    /** What kind of listener a Service port needs; a port whose kind changes gets a new listener. */
    enum Kind { TCP, HTTP, UDP }

    /** A listener's identity: the Service, the port's name and protocol, and its kind. */
    record ListenerKey(ServiceKey service, String portName, Protocol protocol, Kind kind) {
    }

    private record Running(PortListener listener, Service service, ServicePort port) {
    }

    private final ProxyConfig config;
    private final NettyTransport transport;
    private final boolean ownsTransport;
    private final ProxyContext context;
    private final ProxyMetrics metrics;
    private final InetAddress listenAddress;
    private final Map<ListenerKey, Running> running = new ConcurrentHashMap<>();
    /** Desired listeners that could not be started, with why (retried at every reconcile). */
    private final Map<ListenerKey, String> failed = new ConcurrentHashMap<>();
    private final List<Consumer<List<ProxiedPort>>> portListeners = new CopyOnWriteArrayList<>();
    private final ScheduledFuture<?> sweeper;
    private volatile List<ProxiedPort> proxiedPorts = List.of();
    private int nextRangePort;
    private boolean closed;

    /** A proxy with event loops of its own ({@code config.eventLoops()}, placed as {@code config.cpuAffinity()} says). */
    public ProxyManager(ProxyConfig config, String nodeName, Tunnel tunnel, PrometheusRegistry registry) {
        this(config, nodeName, tunnel, registry,
                NettyTransport.create(config.eventLoops(), "proxy-io", config.transport(), config.cpuAffinity()), true);
    }

    /** A proxy on shared event loops (which it does not close). */
    public ProxyManager(ProxyConfig config, String nodeName, Tunnel tunnel, PrometheusRegistry registry, NettyTransport transport) {
        this(config, nodeName, tunnel, registry, transport, false);
    }

    private ProxyManager(ProxyConfig config, String nodeName, Tunnel tunnel, PrometheusRegistry registry, NettyTransport transport,
                         boolean ownsTransport) {
        this.config = config;
        this.transport = transport;
        this.ownsTransport = ownsTransport;
        this.listenAddress = NetUtil.createInetAddressFromIpAddressString(config.listenAddress());
        if (listenAddress == null) {
            throw new io.kedge.common.config.ConfigException("listenAddress", config.listenAddress(), "must be an IP address");
        }
        this.metrics = new ProxyMetrics(registry);
        Dialer dialer = new Dialer(transport, nodeName, tunnel, config.connectTimeout());
        this.context = new ProxyContext(config, transport, dialer, new UpstreamConnector(config.connectAttempts(), config.retryBackoff()));
        this.nextRangePort = config.portRangeStart();
        this.sweeper = transport.group().next().scheduleAtFixedRate(this::sweepAffinity, SWEEP_SECONDS, SWEEP_SECONDS, TimeUnit.SECONDS);
        log.info("proxy on {} ({}), node {}", config.listenAddress(), transport.epoll() ? "epoll" : "nio", nodeName);
    }

    /** Makes the running listeners match {@code catalog}. */
    public synchronized void reconcile(Catalog catalog) {
        if (closed) {
            return;
        }
        Map<ListenerKey, Running> desired = desired(catalog);
        failed.keySet().retainAll(desired.keySet());
        running.keySet().removeIf(key -> {
            if (desired.containsKey(key)) {
                return false;
            }
            Running r = running.get(key);
            log.info("stopping listener {} on {}", r.listener.route().label(), r.listener.address());
            r.listener.close();
            metrics.listeners.dec();
            return true;
        });
        for (Map.Entry<ListenerKey, Running> e : desired.entrySet()) {
            ListenerKey key = e.getKey();
            Service svc = e.getValue().service;
            ServicePort port = e.getValue().port;
            Running current = running.get(key);
            Route route = Route.build(svc, port, catalog.usableEndpoints(svc.key()), current == null ? null : current.listener.route(),
                    config);
            if (current != null) {
                if (route != current.listener.route()) {
                    current.listener.update(route);
                }
                running.put(key, new Running(current.listener, svc, port));
                continue;
            }
            PortListener listener = start(key, route);
            if (listener != null) {
                running.put(key, new Running(listener, svc, port));
                failed.remove(key);
                metrics.listeners.inc();
            }
        }
        publish();
    }

    private Map<ListenerKey, Running> desired(Catalog catalog) {
        Map<ListenerKey, Running> desired = new LinkedHashMap<>();
        for (Service svc : catalog.services().values()) {
            if (!svc.isProxiable()) {
                continue;
            }
            for (ServicePort port : svc.ports()) {
                Kind kind = switch (port.protocol()) {
                    case TCP -> port.isHttp() ? Kind.HTTP : Kind.TCP;
                    case UDP -> Kind.UDP;
                    case SCTP -> null;
                };
                if (kind != null) {
                    desired.put(new ListenerKey(svc.key(), port.name(), port.protocol(), kind), new Running(null, svc, port));
                }
            }
        }
        return desired;
    }

    private PortListener start(ListenerKey key, Route route) {
        int tries = config.portRangeStart() == 0 ? 1 : config.portRangeEnd() - config.portRangeStart() + 1;
        for (int i = 0; i < tries; i++) {
            // Fresh data points per attempt: closing a listener that failed to bind removes its series.
            PortMetrics portMetrics = metrics.port(key.service().toString(), route.port().port(), key.kind().name().toLowerCase(java.util.Locale.ROOT));
            PortListener listener = switch (key.kind()) {
                case TCP -> new TcpListener(context, route, portMetrics);
                case HTTP -> new HttpListener(context, route, portMetrics);
                case UDP -> new UdpListener(context, route, portMetrics);
            };
            int port = config.portRangeStart() == 0 ? 0 : takeRangePort();
            try {
                listener.bind(new InetSocketAddress(listenAddress, port));
                log.info("listening for {} ({}) on {}", route.label(), key.kind(), listener.address());
                return listener;
            } catch (BindException e) {
                listener.close();
                if (config.portRangeStart() == 0) {
                    return startFailed(key, route, "cannot listen on " + config.listenAddress() + ": " + e.getMessage());
                }
            } catch (Exception e) {
                listener.close();
                return startFailed(key, route, "cannot listen on " + config.listenAddress() + ":" + port + ": " + e);
            }
        }
        return startFailed(key, route, "every port in " + config.portRangeStart() + "-" + config.portRangeEnd() + " is taken");
    }

    private PortListener startFailed(ListenerKey key, Route route, String why) {
        if (!why.equals(failed.put(key, why))) {
            log.error("no listener for {} ({}): {}", route.label(), key.kind(), why);
        }
        return null;
    }

    /** The next port of the configured range, round and round (a taken one fails to bind and is skipped). */
    private int takeRangePort() {
        int port = nextRangePort;
        nextRangePort = port >= config.portRangeEnd() ? config.portRangeStart() : port + 1;
        return port;
    }

    private void publish() {
        List<ProxiedPort> ports = new ArrayList<>();
        running.values().forEach(r -> ports.add(new ProxiedPort(r.service.key(), r.port, r.service.clusterIPs(), r.listener.address())));
        ports.sort(Comparator.comparing((ProxiedPort p) -> p.service()).thenComparing(p -> p.port().name())
                .thenComparing(p -> p.port().protocol()));
        List<ProxiedPort> published = List.copyOf(ports);
        if (!published.equals(proxiedPorts)) {
            proxiedPorts = published;
            for (Consumer<List<ProxiedPort>> l : portListeners) {
                try {
                    l.accept(published);
                } catch (RuntimeException e) {
                    log.error("proxied-ports listener {} failed", l, e);
                }
            }
        }
    }

    /** Every Service port the proxy serves now, with its listener address. */
    public List<ProxiedPort> proxiedPorts() {
        return proxiedPorts;
    }

    /** The listener address of {@code service}'s port named {@code portName} with {@code protocol}. */
    public Optional<InetSocketAddress> listenerAddress(ServiceKey service, String portName, Protocol protocol) {
        return proxiedPorts.stream()
                .filter(p -> p.service().equals(service) && p.port().name().equals(portName) && p.port().protocol() == protocol)
                .map(ProxiedPort::listener).findFirst();
    }

    /** Calls {@code listener} with the full list whenever the set of proxied ports (or their addresses) changes. */
    public void onProxiedPortsChanged(Consumer<List<ProxiedPort>> listener) {
        portListeners.add(listener);
    }

    /**
     * For readiness: null when every Service port that should be proxied has its listener, else
     * which do not and why.
     */
    public String healthProblem() {
        if (failed.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder(failed.size() + " Service port(s) without a listener:");
        failed.forEach((key, why) -> sb.append(' ').append(key.service()).append(':').append(key.portName()).append('/')
                .append(key.protocol()).append(" (").append(why).append(");"));
        return sb.toString();
    }

    /** One Service port as the state endpoint shows it. */
    public record PortState(String service, String port, int servicePort, String kind, String listener, String policy,
                            boolean sessionAffinity, List<EndpointState> endpoints, Integer udpSessions) {
    }

    /** One endpoint of a Service port: where it is, whether the tunnel carries it, what is in flight. */
    public record EndpointState(String address, String node, boolean viaTunnel, int active) {
    }

    /** What the proxy is doing, for the agent's JSON state endpoint. */
    public List<PortState> state() {
        List<PortState> out = new ArrayList<>();
        running.forEach((key, r) -> {
            Route route = r.listener.route();
            List<EndpointState> endpoints = route.upstreams().stream()
                    .map(u -> new EndpointState(u.id(), u.nodeName(), context.dialer().viaTunnel(u), u.active().get())).toList();
            InetSocketAddress address = r.listener.address();
            out.add(new PortState(key.service().toString(), key.portName(), r.port.port(), key.kind().name(),
                    address == null ? null : address.getAddress().getHostAddress() + ":" + address.getPort(),
                    route.policy().kind() + (route.policy().hashKey() == null ? "" : " " + route.policy().hashKey().source()),
                    r.service.sessionAffinity().clientIp(), endpoints,
                    r.listener instanceof UdpListener udp ? udp.sessionCount() : null));
        });
        out.sort(Comparator.comparing(PortState::service).thenComparing(PortState::port).thenComparing(PortState::kind));
        return out;
    }

    /** Channels the proxy holds open: listening sockets, client and upstream connections, UDP sessions. */
    public int openChannels() {
        return running.values().stream().mapToInt(r -> r.listener.openChannels()).sum();
    }

    /** UDP sessions alive across every UDP listener. */
    public int udpSessions() {
        return running.values().stream().filter(r -> r.listener instanceof UdpListener)
                .mapToInt(r -> ((UdpListener) r.listener).sessionCount()).sum();
    }

    private void sweepAffinity() {
        running.values().forEach(r -> r.listener.route().sweepAffinity());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        sweeper.cancel(false);
        running.values().forEach(r -> r.listener.close());
        running.clear();
        metrics.listeners.set(0);
        publish();
        if (ownsTransport) {
            transport.close();
        }
    }
}
