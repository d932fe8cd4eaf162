package io.kedge.server.turn;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every allocation on the relay, by client 5-tuple and by relayed port, plus the 5-tuples whose
 * Allocate is waiting for its relay socket. Shared by all I/O threads.
 */
final class AllocationTable {
    private final ConcurrentHashMap<FiveTuple, Allocation> byFiveTuple = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, Allocation> byRelayedPort = new ConcurrentHashMap<>();
    private final Set<FiveTuple> pending = ConcurrentHashMap.newKeySet();

    Allocation get(FiveTuple tuple) {
        return byFiveTuple.get(tuple);
    }

    Allocation byRelayedPort(int port) {
        return byRelayedPort.get(port);
    }

    /** Marks {@code tuple} as allocating; false if it already is. */
    boolean startPending(FiveTuple tuple) {
        return pending.add(tuple);
    }

    boolean isPending(FiveTuple tuple) {
        return pending.contains(tuple);
    }

    void endPending(FiveTuple tuple) {
        pending.remove(tuple);
    }

    void add(Allocation a) {
        byFiveTuple.put(a.fiveTuple(), a);
        byRelayedPort.put(a.relayedAddress.getPort(), a);
    }

    void remove(Allocation a) {
        byFiveTuple.remove(a.fiveTuple(), a);
        byRelayedPort.remove(a.relayedAddress.getPort(), a);
    }

    Collection<Allocation> all() {
        return byFiveTuple.values();
    }

    int size() {
        return byFiveTuple.size();
    }
}
