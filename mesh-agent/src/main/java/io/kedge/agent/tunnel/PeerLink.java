package io.kedge.agent.tunnel;

import io.netty.channel.Channel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionPathStats;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tunnel to one peer node: one ICE session, the bridge from its selected pair to a QUIC
 * connection, and that connection, shared by every stream to and from the peer. Created by the
 * side that first needs it (the offerer, ICE-controlling, QUIC client) or by an incoming offer.
 * A path upgrade replaces the ICE session, bridge and connection with ones on a direct path; the
 * old connection drains in {@link #retired}.
 */
final class PeerLink {
    enum State { CONNECTING, OPEN, CLOSED }

    final String peer;
    final String session;
    final boolean offerer;
    /** Which setup attempt this is within one wait for the peer (0 = the first offer). */
    final int attempt;
    final CompletableFuture<QuicChannel> ready;
    final long startedNanos = System.nanoTime();
    final AtomicInteger streams = new AtomicInteger();
    volatile State state = State.CONNECTING;
    volatile SignalingSession signaling;
    volatile IceSession ice;
    volatile DatagramPath bridge;
    /** The TURN allocation held over TCP or TLS when the tunnel takes the TCP relay path. */
    volatile io.kedge.agent.tunnel.turn.TurnClient turn;
    volatile Channel datagrams;
    volatile QuicChannel quic;
    volatile PathKind path;
    volatile String via;
    volatile Instant since;
    volatile long lastUsedNanos = System.nanoTime();
    /** The peer's certificate fingerprint, as it signaled it (what its direct TCP lane is pinned to). */
    volatile String peerFingerprint;
    /** Where the peer offered its direct TCP lane (its TLS listener), from its offer or answer. */
    volatile java.util.List<java.net.InetSocketAddress> peerTcp = java.util.List.of();
    /** The peer's direct TCP lane address that answered a probe: TCP streams go there; null while there is none. */
    volatile java.net.InetSocketAddress directTcp;
    /** Where the look for a direct TCP lane stands: null (not looked), probing, open, unreachable, none-offered, lost. */
    volatile String laneProbe;
    /** Bytes through the direct TCP lane's streams (both ends' streams on this link). */
    final java.util.concurrent.atomic.AtomicLong laneBytesIn = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong laneBytesOut = new java.util.concurrent.atomic.AtomicLong();
    /** This end cannot send UDP beyond its site, or the peer declined upgrades: no direct path to look for. */
    volatile boolean noDirectPath;
    /** Path upgrades: the one in progress, how many tries failed since the last success, successes and when the last one was. */
    volatile PathUpgrades.Attempt upgrade;
    volatile int upgradeFailures;
    volatile int upgrades;
    volatile Instant upgradedAt;
    /** When the peer's last upgrade offer for this link came (System.nanoTime, 0 for never). */
    long lastUpgradeOfferNanos;
    /** Connections an upgrade left behind, draining their streams. */
    final java.util.Set<PathUpgrades.Retired> retired = java.util.concurrent.ConcurrentHashMap.newKeySet();

    PeerLink(String peer, String session, boolean offerer, CompletableFuture<QuicChannel> ready) {
        this(peer, session, offerer, ready, 0);
    }

    PeerLink(String peer, String session, boolean offerer, CompletableFuture<QuicChannel> ready, int attempt) {
        this.peer = peer;
        this.session = session;
        this.offerer = offerer;
        this.ready = ready;
        this.attempt = attempt;
    }

    void touch() {
        lastUsedNanos = System.nanoTime();
    }

    /** No stream open and none opened for {@code nanos} (heartbeat streams do not count). */
    boolean idleLongerThan(long nanos) {
        return streams.get() == 0 && System.nanoTime() - lastUsedNanos > nanos;
    }

    /** One row of the peer table. */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", peer);
        m.put("state", state.name().toLowerCase());
        m.put("path", path == null ? null : path.label());
        m.put("via", via);
        m.put("signaling", signaling == null ? null : signaling.serverName());
        m.put("role", offerer ? "offerer" : "answerer");
        m.put("attempt", attempt);
        m.put("since", since == null ? null : since.toString());
        m.put("streams", streams.get());
        m.put("upgrades", upgrades);
        m.put("upgradedAt", upgradedAt == null ? null : upgradedAt.toString());
        m.put("draining", retired.size());
        DatagramPath b = bridge;
        m.put("bytesSent", (b == null ? 0 : b.bytesOut()) + laneBytesOut.get());
        m.put("bytesReceived", (b == null ? 0 : b.bytesIn()) + laneBytesIn.get());
        java.net.InetSocketAddress lane = directTcp;
        m.put("directTcp", lane == null ? null : lane.getAddress().getHostAddress() + ":" + lane.getPort());
        m.put("directTcpProbe", laneProbe);
        QuicChannel q = quic;
        if (q != null && q.isActive()) {
            try {
                QuicConnectionPathStats stats = q.collectPathStats(0).get(500, TimeUnit.MILLISECONDS);
                m.put("rttMillis", stats.rtt() / 1_000_000.0);
            } catch (Exception e) {
                m.put("rttMillis", null);
            }
        }
        return m;
    }
}
