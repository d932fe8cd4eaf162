package io.kedge.agent.dns.forward;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One upstream server and whether it recently failed. A server that timed out or refused the
 * connection is tried last for a while, so that one dead server (the first line of a resolv.conf,
 * say) does not cost every query a timeout before the next is asked.
 */
final class Upstream {
    /** How long a failed server goes to the back of the line. */
    static final long PENALTY_NANOS = TimeUnit.SECONDS.toNanos(10);

    final InetSocketAddress address;
    private final int position;
    private volatile long penaltyUntil;
    private volatile boolean penalised;

    Upstream(InetSocketAddress address, int position) {
        this.address = address;
        this.position = position;
    }

    void failed(long now) {
        penaltyUntil = now + PENALTY_NANOS;
        penalised = true;
    }

    void answered() {
        penalised = false;
    }

    private boolean healthy(long now) {
        return !penalised || now - penaltyUntil >= 0;
    }

    /** The servers in the order to try them: healthy ones in configured order, then the others, least recently failed first. */
    static List<Upstream> order(List<Upstream> servers, LongSupplier clock) {
        long now = clock.getAsLong();
        List<Upstream> out = new ArrayList<>(servers);
        out.sort(Comparator.<Upstream, Boolean>comparing(u -> !u.healthy(now))
                .thenComparingLong(u -> u.healthy(now) ? u.position : u.penaltyUntil - now));
        return out;
    }

    @Override
    public String toString() {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }
}
