package io.kedge.server.turn;

import io.kedge.server.quota.Quotas;
import io.kedge.server.stun.StunMessage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * One allocation (RFC 8656 section 2.2): a relayed transport address held for one client 5-tuple,
 * with its permissions and channel bindings. Everything mutable here is touched only on the
 * client link's executor, so it needs no locks.
 */
final class Allocation {
    /** A channel binding: a number standing for one peer address. */
    static final class Channel {
        final int number;
        final InetSocketAddress peer;
        long expiresAt;

        Channel(int number, InetSocketAddress peer, long expiresAt) {
            this.number = number;
            this.peer = peer;
            this.expiresAt = expiresAt;
        }
    }

    final ClientLink link;
    final String username;
    final String principal;
    final Quotas.Grant grant;
    final RelaySocket socket;
    /** The relayed transport address as clients and peers know it. */
    final InetSocketAddress relayedAddress;
    final byte[] allocateTransactionId;
    /** The success response to Allocate, sent again when the request is retransmitted. */
    StunMessage allocateResponse;
    long expiresAt;
    final Map<InetAddress, Long> permissions = new HashMap<>();
    final Map<Integer, Channel> channelsByNumber = new HashMap<>();
    final Map<InetSocketAddress, Channel> channelsByPeer = new HashMap<>();
    boolean closed;
    /** Refusals answered in the second that started at {@link #refusalWindowStart} (nanoTime). */
    private int refusalsInWindow;
    private long refusalWindowStart;

    Allocation(ClientLink link, String username, String principal, Quotas.Grant grant, RelaySocket socket,
               InetSocketAddress relayedAddress, byte[] allocateTransactionId, long expiresAt) {
        this.link = link;
        this.username = username;
        this.principal = principal;
        this.grant = grant;
        this.socket = socket;
        this.relayedAddress = relayedAddress;
        this.allocateTransactionId = allocateTransactionId;
        this.expiresAt = expiresAt;
    }

    /**
     * Whether a refused permission or channel binding at {@code now} (nanoTime) still gets its 403: at
     * most {@code perSecond} a second. A client that asks again the moment it is refused (stock ice4j
     * does) would otherwise hold a core of the relay, and its log, for as long as its allocation lives.
     */
    boolean answerRefusal(long now, int perSecond) {
        if (refusalsInWindow == 0 || now - refusalWindowStart >= 1_000_000_000L) {
            refusalWindowStart = now;
            refusalsInWindow = 0;
        }
        return ++refusalsInWindow <= perSecond;
    }

    FiveTuple fiveTuple() {
        return link.fiveTuple();
    }

    boolean permits(InetAddress peer, long now) {
        Long until = permissions.get(peer);
        return until != null && until - now > 0;
    }

    /** The bound, unexpired channel for {@code peer}, or 0. */
    int channelFor(InetSocketAddress peer, long now) {
        Channel c = channelsByPeer.get(peer);
        return c != null && c.expiresAt - now > 0 ? c.number : 0;
    }

    /** Removes expired permissions and channels; returns {removed permissions, removed channels}. */
    int[] expire(long now) {
        int perms = 0;
        for (Iterator<Long> it = permissions.values().iterator(); it.hasNext(); ) {
            if (it.next() - now <= 0) {
                it.remove();
                perms++;
            }
        }
        int chans = 0;
        for (Iterator<Channel> it = channelsByNumber.values().iterator(); it.hasNext(); ) {
            Channel c = it.next();
            if (c.expiresAt - now <= 0) {
                it.remove();
                channelsByPeer.remove(c.peer);
                chans++;
            }
        }
        return new int[] {perms, chans};
    }
}
