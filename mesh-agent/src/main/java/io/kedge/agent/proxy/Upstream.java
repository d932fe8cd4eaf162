package io.kedge.agent.proxy;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One endpoint of a Service port as the proxy dials it. Instances live as long as the endpoint stays
 * in the catalog (they are carried over from one catalog snapshot to the next), so their counters
 * span updates.
 */
public final class Upstream {
    private final String id;
    private final InetSocketAddress address;
    private final String nodeName;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();

    public Upstream(InetSocketAddress address, String nodeName) {
        this.address = address;
        this.nodeName = nodeName;
        this.id = address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /** {@code ip:port}: the identity balancers hash and remember. */
    public String id() {
        return id;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** The node the endpoint runs on, or null when unknown. */
    public String nodeName() {
        return nodeName;
    }

    /** Connections (TCP), sessions (UDP) or requests (HTTP) in progress: what LEAST_REQUEST compares. */
    public AtomicInteger active() {
        return active;
    }

    /** Open upstream connections of an HTTP port's pool (bounded per endpoint). */
    public AtomicInteger connections() {
        return connections;
    }

    @Override
    public String toString() {
        return nodeName == null ? id : id + "@" + nodeName;
    }
}
