package io.kedge.server.signaling;

import io.kedge.server.policy.RegisteredPeers;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agents registered with this server, by node name, and the addresses they may be reached at.
 * The relay asks {@link #isRegistered} for every new permission, on I/O threads: it answers from a
 * map of address to reference count. A node that registers again replaces its earlier session
 * (the agent restarted, or reconnected before the old connection timed out).
 */
public final class AgentRegistry implements RegisteredPeers {
    private final Map<String, AgentSession> byNode = new ConcurrentHashMap<>();
    private final Map<InetAddress, Integer> addressCounts = new ConcurrentHashMap<>();
    private final int maxAgents;

    public AgentRegistry(int maxAgents) {
        this.maxAgents = maxAgents;
    }

    /** The outcome of {@link #register}: the session replaced, if any, or that the registry is full. */
    public record Registration(boolean accepted, AgentSession replaced) {
    }

    public synchronized Registration register(AgentSession session) {
        AgentSession previous = byNode.get(session.node());
        if (previous == null && byNode.size() >= maxAgents) {
            return new Registration(false, null);
        }
        byNode.put(session.node(), session);
        session.reachableAddresses().forEach(a -> addressCounts.merge(a, 1, Integer::sum));
        if (previous != null) {
            release(previous);
        }
        return new Registration(true, previous);
    }

    /** Removes {@code session} if it is still the node's current one (a replaced session leaves nothing behind). */
    public synchronized boolean unregister(AgentSession session) {
        if (!byNode.remove(session.node(), session)) {
            return false;
        }
        release(session);
        return true;
    }

    private void release(AgentSession session) {
        for (InetAddress a : session.reachableAddresses()) {
            addressCounts.computeIfPresent(a, (k, n) -> n <= 1 ? null : n - 1);
        }
    }

    public Optional<AgentSession> find(String node) {
        return Optional.ofNullable(byNode.get(node));
    }

    @Override
    public boolean isRegistered(InetAddress address) {
        return addressCounts.containsKey(address);
    }

    public int size() {
        return byNode.size();
    }

    /** For the admin endpoint: every agent with its addresses and since when. */
    public List<Map<String, Object>> describe() {
        List<AgentSession> sessions = new ArrayList<>(byNode.values());
        sessions.sort(Comparator.comparing(AgentSession::node));
        List<Map<String, Object>> out = new ArrayList<>();
        for (AgentSession s : sessions) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", s.node());
            m.put("observed", s.observed().getAddress().getHostAddress() + ":" + s.observed().getPort());
            m.put("addresses", s.addresses().stream().map(InetAddress::getHostAddress).toList());
            m.put("since", s.since().toString());
            out.add(m);
        }
        return out;
    }
}
