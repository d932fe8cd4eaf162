package io.kedge.agent.proxy;

import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.LoadBalancerPolicy;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.catalog.SessionAffinity;
import io.kedge.agent.lb.AffinityTable;
import io.kedge.agent.lb.Balancer;
import io.kedge.agent.lb.RingParameters;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Where one Service port's traffic goes, for one catalog snapshot: its endpoints and how to choose
 * among them. Immutable; a listener swaps in a new one when the catalog changes, so new connections
 * and requests see the change while established ones keep their upstream.
 */
public final class Route {
    private final ServiceKey service;
    private final ServicePort port;
    private final LoadBalancerPolicy policy;
    private final SessionAffinity sessionAffinity;
    private final List<Upstream> upstreams;
    private final AffinityTable affinityTable;
    private final Balancer<Upstream> balancer;

    private Route(ServiceKey service, ServicePort port, LoadBalancerPolicy policy, SessionAffinity sessionAffinity,
                  List<Upstream> upstreams, AffinityTable affinityTable, RingParameters ring) {
        this.service = service;
        this.port = port;
        this.policy = policy;
        this.sessionAffinity = sessionAffinity;
        this.upstreams = List.copyOf(upstreams);
        this.affinityTable = affinityTable;
        this.balancer = Balancer.forPolicy(policy.kind(), this.upstreams, Upstream::id, u -> u.active().get(), ring,
                affinityTable, ThreadLocalRandom.current());
    }

    /**
     * The route for {@code service}'s {@code port} over {@code endpoints}, reusing {@code previous}
     * (the same object) when nothing that matters changed, and its upstream objects and affinity
     * table otherwise.
     */
    public static Route build(Service service, ServicePort port, List<Endpoint> endpoints, Route previous, ProxyConfig config) {
        Map<String, Upstream> known = new HashMap<>();
        if (previous != null) {
            previous.upstreams.forEach(u -> known.put(u.toString(), u));
        }
        List<Upstream> upstreams = new ArrayList<>();
        for (Endpoint e : endpoints) {
            int targetPort = e.portFor(port);
            InetAddress ip = NetUtil.createInetAddressFromIpAddressString(e.ip());
            if (targetPort <= 0 || targetPort > 65535 || ip == null) {
                continue;
            }
            Upstream fresh = new Upstream(new InetSocketAddress(ip, targetPort), e.nodeName());
            upstreams.add(known.getOrDefault(fresh.toString(), fresh));
        }
        if (previous != null && previous.upstreams.equals(upstreams) && previous.policy.equals(service.policy())
                && previous.sessionAffinity.equals(service.sessionAffinity()) && previous.port.equals(port)) {
            return previous;
        }
        SessionAffinity affinity = service.sessionAffinity();
        AffinityTable table = null;
        if (affinity.clientIp()) {
            Duration timeout = Duration.ofSeconds(affinity.timeoutSeconds());
            table = previous != null && previous.affinityTable != null && previous.affinityTable.timeout().equals(timeout)
                    ? previous.affinityTable
                    : new AffinityTable(timeout, config.affinityMaxClients(), System::nanoTime);
        }
        return new Route(service.key(), port, service.policy(), affinity, upstreams, table, config.ring());
    }

    public ServiceKey service() {
        return service;
    }

    public ServicePort port() {
        return port;
    }

    public LoadBalancerPolicy policy() {
        return policy;
    }

    public List<Upstream> upstreams() {
        return upstreams;
    }

    public Balancer<Upstream> balancer() {
        return balancer;
    }

    /** Drops expired session-affinity entries (called periodically). */
    public void sweepAffinity() {
        if (affinityTable != null) {
            affinityTable.sweep();
        }
    }

    /** {@code namespace/name:port} for logs and errors. */
    public String label() {
        return service + ":" + (port.name().isEmpty() ? String.valueOf(port.port()) : port.name());
    }

    @Override
    public String toString() {
        return label() + " -> " + upstreams + " (" + policy.kind() + ")";
    }
}
