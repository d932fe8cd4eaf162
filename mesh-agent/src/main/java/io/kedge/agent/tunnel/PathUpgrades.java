package io.kedge.agent.tunnel;

import io.kedge.agent.tunnel.turn.TurnClient;
import io.kedge.common.signaling.SignalMessage;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves tunnels that run over a relay onto a direct path when one opens, make-before-break.
 *
 * <p>While a link is open over a relay ({@code relayed} or {@code tcp-relay}), its offerer (only
 * the offerer, so the two ends never race) tries now and then for a direct path: a fresh ICE
 * session with host and server-reflexive candidates only (no TURN allocation), offered through
 * signaling as an "upgrade-offer" for the link's session, which the peer answers with an
 * "upgrade-answer" from a fresh ICE session of its own. A failed try changes nothing for the
 * relayed link; the next one waits longer ({@link PathUpgradePolicy#delay}).
 *
 * <p>When ICE finds a direct pair, a second QUIC connection (same pinned certificates) runs over
 * it, and once it is up it becomes the link's connection: new streams in both directions go over
 * it. The relayed connection stays, with its ICE session, bridge and TURN allocation, until its
 * last stream ends or the drain time is over ({@link Retired}); both ends count the streams on it,
 * so neither closes it under the other's open stream.
 */
final class PathUpgrades {
    private static final Logger log = LoggerFactory.getLogger(PathUpgrades.class);
    private static final AttributeKey<AtomicInteger> STREAMS = AttributeKey.valueOf("kedge.tunnel.streams");
    /**
     * The least time between two upgrade offers a peer's link is answered for: each answer gathers
     * (sockets, threads), and an offerer never tries again that soon (its first delay is 1 s or more).
     */
    static final long MIN_OFFER_SPACING_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** One try for a direct path for one link, on either end; it ends once (moved, failed or given up). */
    static final class Attempt {
        final PeerLink link;
        final IceSession ice;
        final long startedNanos = System.nanoTime();
        private final AtomicBoolean over = new AtomicBoolean();
        volatile boolean answered;
        volatile DatagramPath bridge;
        volatile TunnelService.QuicPath quic;

        Attempt(PeerLink link, IceSession ice) {
            this.link = link;
            this.ice = ice;
        }

        boolean end() {
            return over.compareAndSet(false, true);
        }

        boolean over() {
            return over.get();
        }
    }

    /** A connection an upgrade left behind, with what carries it, until its streams are done. */
    record Retired(QuicChannel quic, Channel datagrams, DatagramPath bridge, TurnClient turn, IceSession ice, PathKind path) {
    }

    private final PathUpgradePolicy policy;
    private final TunnelService tunnel;
    private final EventLoopGroup group;
    private final ExecutorService setup;
    private final TunnelMetrics metrics;
    private final String nodeName;
    private final String fingerprint;
    private final boolean holePunch;
    private final InterfaceExclusions exclusions;
    private final int setupTimeoutSeconds;
    private final int heartbeatSeconds;

    PathUpgrades(TunnelService.Settings settings, TunnelService tunnel, EventLoopGroup group, ExecutorService setup, TunnelMetrics metrics,
                 String fingerprint) {
        this.policy = settings.pathUpgrades();
        this.tunnel = tunnel;
        this.group = group;
        this.setup = setup;
        this.metrics = metrics;
        this.nodeName = settings.nodeName();
        this.fingerprint = fingerprint;
        this.holePunch = settings.holePunch();
        this.exclusions = settings.iceExclusions();
        this.setupTimeoutSeconds = settings.setupTimeoutSeconds();
        this.heartbeatSeconds = settings.heartbeatSeconds();
    }

    /** The count of open streams on {@code connection} (a QUIC connection). */
    static AtomicInteger streamsOn(Channel connection) {
        Attribute<AtomicInteger> attr = connection.attr(STREAMS);
        AtomicInteger n = attr.get();
        if (n == null) {
            AtomicInteger fresh = new AtomicInteger();
            n = attr.setIfAbsent(fresh);
            if (n == null) {
                n = fresh;
            }
        }
        return n;
    }

    static boolean overRelay(PathKind path) {
        return path == PathKind.RELAYED || path == PathKind.RELAYED_TCP;
    }

    /** A link opened: its offerer starts looking for a direct path when it runs over a relay. */
    void opened(PeerLink link) {
        if (policy.enabled() && link.offerer && wanted(link)) {
            scheduleTry(link);
        }
    }

    private static boolean wanted(PeerLink link) {
        return link.state == PeerLink.State.OPEN && overRelay(link.path) && !link.noDirectPath;
    }

    private void scheduleTry(PeerLink link) {
        Duration wait = policy.delay(link.upgradeFailures, ThreadLocalRandom.current().nextDouble());
        log.debug("tunnel to {}: next try for a direct path in {} ms", link.peer, wait.toMillis());
        try {
            group.schedule(() -> execute(() -> offer(link)), wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // the agent is stopping
        }
    }

    private void execute(Runnable task) {
        try {
            setup.execute(task);
        } catch (RejectedExecutionException stopping) {
            // the agent is stopping: its links close anyway
        }
    }

    /** The offerer's try: gather, offer, wait for the answer ({@link #onAnswer}). Runs off event loops (gathering blocks). */
    private void offer(PeerLink link) {
        if (!wanted(link) || link.upgrade != null) {
            return;
        }
        SignalingSession via = link.signaling;
        if (via == null || !via.registered()) {
            metrics.upgrade("no_signaling");
            link.upgradeFailures++;
            scheduleTry(link);
            return;
        }
        Attempt attempt = null;
        try {
            // Whether UDP leaves this site was settled at setup (noDirectPath): without relayed
            // candidates, a routed host's gathering looks the same as a UDP-blocked one's.
            attempt = new Attempt(link, new IceSession(true, via.relays(), holePunch, 0, false, exclusions));
            begin(attempt, via, SignalMessage.Description.UPGRADE_OFFER);
        } catch (Exception e) {
            if (attempt != null) {
                end(attempt, "offer_failed", e);
            } else {
                metrics.upgrade("offer_failed");
                link.upgradeFailures++;
                log.debug("tunnel to {}: no upgrade offer: {}", link.peer, e.toString());
                if (wanted(link)) {
                    scheduleTry(link);
                }
            }
        }
    }

    /**
     * Makes {@code attempt} its link's try in progress, sends its description and bounds its time;
     * false (the attempt released) when the link no longer wants it or has one already.
     */
    private boolean begin(Attempt attempt, SignalingSession via, String kind) throws IOException {
        PeerLink link = attempt.link;
        synchronized (link) {
            boolean stillWanted = link.offerer ? wanted(link) : link.state == PeerLink.State.OPEN;
            if (!stillWanted || link.upgrade != null) {
                attempt.end();
                release(attempt);
                return false;
            }
            link.upgrade = attempt;
        }
        if (!via.send(description(link, attempt.ice, kind))) {
            throw new IOException("mesh-server " + via.serverName() + " connection is down");
        }
        armTimeout(attempt);
        return true;
    }

    private SignalMessage.Description description(PeerLink link, IceSession ice, String kind) {
        if (ice == null) {
            // A refusal: no candidates (the codec wants some ufrag and password all the same).
            return new SignalMessage.Description(nodeName, link.peer, link.session, kind, "none", UUID.randomUUID().toString(), List.of(),
                    fingerprint);
        }
        return new SignalMessage.Description(nodeName, link.peer, link.session, kind, ice.ufrag(), ice.password(), ice.candidates(),
                fingerprint);
    }

    private void armTimeout(Attempt attempt) {
        try {
            group.schedule(() -> end(attempt, "timeout", "no direct connection within " + 2 * setupTimeoutSeconds + " s"),
                    2L * setupTimeoutSeconds, TimeUnit.SECONDS);
        } catch (RejectedExecutionException stopping) {
            end(attempt, "link_closed", "stopping");
        }
    }

    /** The peer's answer to our upgrade offer: no candidates means it does not look for a direct path (UDP blocked, or upgrades off). */
    void onAnswer(PeerLink link, SignalMessage.Description answer) {
        Attempt attempt = link == null ? null : link.upgrade;
        if (attempt == null || !link.offerer || !link.session.equals(answer.session()) || attempt.answered) {
            log.debug("upgrade answer from {} for no upgrade in progress", answer.from());
            return;
        }
        attempt.answered = true;
        if (answer.candidates().isEmpty()) {
            link.noDirectPath = true;
            end(attempt, "declined", "the peer does not look for a direct path");
            return;
        }
        connect(attempt, answer);
    }

    /**
     * The peer offers an upgrade of our link {@code link} (we answered its first offer): answer
     * from a fresh ICE session, or with no candidates when this end has no direct path to offer.
     */
    void onOffer(SignalingSession via, PeerLink link, SignalMessage.Description offer) {
        if (link == null || link.offerer || !link.session.equals(offer.session()) || link.state != PeerLink.State.OPEN) {
            log.debug("upgrade offer from {} for no tunnel of ours (session {})", offer.from(), offer.session());
            return;
        }
        long now = System.nanoTime();
        synchronized (link) {
            if (link.lastUpgradeOfferNanos != 0 && now - link.lastUpgradeOfferNanos < MIN_OFFER_SPACING_NANOS) {
                metrics.upgrade("too_soon");
                log.debug("upgrade offer from {} too soon after the last one: ignored", offer.from());
                return;
            }
            link.lastUpgradeOfferNanos = now == 0 ? 1 : now;
        }
        Attempt previous = link.upgrade;
        if (previous != null) {
            end(previous, "replaced", "a newer upgrade offer");
        }
        execute(() -> answer(via, link, offer));
    }

    private void answer(SignalingSession via, PeerLink link, SignalMessage.Description offer) {
        Attempt attempt = null;
        try {
            if (!policy.enabled() || link.noDirectPath) {
                // Upgrades off here, or this site's UDP is blocked (seen at setup): no direct path to offer.
                via.send(description(link, null, SignalMessage.Description.UPGRADE_ANSWER));
                metrics.upgrade("declined");
                return;
            }
            attempt = new Attempt(link, new IceSession(false, via.relays(), holePunch, 0, false, exclusions));
            if (begin(attempt, via, SignalMessage.Description.UPGRADE_ANSWER)) {
                connect(attempt, offer);
            }
        } catch (Exception e) {
            if (attempt != null) {
                end(attempt, "answer_failed", e);
            } else {
                log.debug("tunnel to {}: no upgrade answer: {}", link.peer, e.toString());
            }
        }
    }

    private void connect(Attempt attempt, SignalMessage.Description remote) {
        attempt.ice.connect(remote.ufrag(), remote.pwd(), remote.candidates()).whenComplete((selected, error) -> {
            if (error != null) {
                end(attempt, "ice_failed", error);
            } else if (overRelay(selected.path())) {
                end(attempt, "relayed_pair", "ICE chose a relayed pair"); // only from a peer that still offers relayed candidates
            } else {
                execute(() -> startQuic(attempt, selected, remote.fingerprint()));
            }
        });
    }

    private void startQuic(Attempt attempt, IceSession.Selected selected, String remoteFingerprint) {
        if (attempt.over()) {
            return;
        }
        try {
            attempt.bridge = tunnel.iceBridge(attempt.link, selected);
            TunnelService.QuicPath quic = tunnel.runQuic(attempt.link, attempt.bridge, remoteFingerprint);
            attempt.quic = quic;
            if (attempt.over()) {
                release(attempt); // given up while connecting
                return;
            }
            quic.connection().whenComplete((connection, error) -> {
                if (error != null) {
                    end(attempt, "quic_failed", error);
                } else {
                    promote(attempt, selected, connection);
                }
            });
        } catch (Exception e) {
            end(attempt, "quic_failed", e);
        }
    }

    /** The direct connection is up: it becomes the link's connection, and the relayed one drains. */
    private void promote(Attempt attempt, IceSession.Selected selected, QuicChannel connection) {
        PeerLink link = attempt.link;
        Retired old = null;
        boolean linkClosed = false;
        synchronized (tunnel) { // the lock under which the tunnel opens and closes links
            synchronized (link) {
                if (link.state != PeerLink.State.OPEN) {
                    linkClosed = true;
                } else if (attempt.end()) {
                    old = new Retired(link.quic, link.datagrams, link.bridge, link.turn, link.ice, link.path);
                    link.quic = connection;
                    link.datagrams = attempt.quic.datagrams();
                    link.bridge = attempt.bridge;
                    link.turn = null;
                    link.ice = attempt.ice;
                    link.path = selected.path();
                    link.via = selected.via();
                    link.upgrade = null;
                    link.upgrades++;
                    link.upgradeFailures = 0;
                    link.upgradedAt = Instant.now();
                    link.retired.add(old);
                }
            }
        }
        if (linkClosed) {
            end(attempt, "link_closed", "the tunnel closed meanwhile");
            return;
        }
        if (old == null) {
            connection.close(); // the try was given up (timeout) just before
            return;
        }
        tunnel.watch(link, connection);
        metrics.tunnelMoved(old.path(), selected.path());
        metrics.upgrade("success");
        log.info("tunnel to {} moved from {} to {} in {} ms; streams still open on the old connection: {}", link.peer, old.path().label(),
                selected.path().label(), (System.nanoTime() - attempt.startedNanos) / 1_000_000, streamsOn(old.quic()).get());
        Retired draining = old;
        old.quic().closeFuture().addListener(f -> retire(link, draining, "its connection closed"));
        // The first look waits a heartbeat: the peer may take a moment longer to move over than we did.
        drain(link, old, System.nanoTime() + policy.drainTimeout().toNanos(), 0);
    }

    /** Checks each second whether the old connection's last stream ended; keeps it alive meanwhile; gives up at {@code deadline}. */
    private void drain(PeerLink link, Retired old, long deadline, long checks) {
        long wait = checks == 0 ? Math.max(1, heartbeatSeconds) : 1;
        try {
            group.schedule(() -> {
                if (!link.retired.contains(old)) {
                    return;
                }
                int open = streamsOn(old.quic()).get();
                if (open == 0) {
                    retire(link, old, "its last stream ended");
                } else if (System.nanoTime() - deadline > 0) {
                    retire(link, old, "drain time over with " + open + " streams open");
                } else {
                    if (checks % Math.max(1, heartbeatSeconds) == 0 && old.quic().isActive()) {
                        TunnelService.ping(old.quic()); // idle long-lived streams must not let QUIC's idle timeout end it
                    }
                    drain(link, old, deadline, checks + 1);
                }
            }, wait, TimeUnit.SECONDS);
        } catch (RejectedExecutionException stopping) {
            retire(link, old, "stopping");
        }
    }

    /** Releases a connection an upgrade left behind, once: the connection, its bridge, TURN allocation and ICE session. */
    private void retire(PeerLink link, Retired old, String why) {
        if (!link.retired.remove(old)) {
            return;
        }
        log.info("tunnel to {}: released the {} connection ({})", link.peer, old.path().label(), why);
        // Close the connection first so that its CONNECTION_CLOSE still leaves over the old path.
        old.quic().close().addListener(f -> {
            if (old.datagrams() != null) {
                old.datagrams().close();
            }
            if (old.bridge() != null) {
                old.bridge().close();
            }
            if (old.turn() != null) {
                old.turn().close();
            }
            if (old.ice() != null) {
                closeIce(old.ice());
            }
        });
    }

    /** The link closed: the try in progress and the connections still draining go with it. */
    void released(PeerLink link) {
        Attempt attempt = link.upgrade;
        if (attempt != null) {
            end(attempt, "link_closed", "the tunnel closed");
        }
        for (Retired r : List.copyOf(link.retired)) {
            retire(link, r, "the tunnel closed");
        }
    }

    /** Ends a try that did not move the link: releases what it set up; the offerer tries again later while it is still wanted. */
    private void end(Attempt attempt, String result, Object why) {
        if (!attempt.end()) {
            return;
        }
        PeerLink link = attempt.link;
        synchronized (link) {
            if (link.upgrade == attempt) {
                link.upgrade = null;
            }
        }
        release(attempt);
        metrics.upgrade(result);
        String reason = why instanceof Throwable t ? t.toString() : String.valueOf(why);
        if (link.offerer && !result.equals("link_closed")) {
            link.upgradeFailures++;
            if (wanted(link)) {
                log.info("tunnel to {}: no direct path this time ({}: {}), staying on {}", link.peer, result, reason, link.path.label());
                scheduleTry(link);
            } else {
                log.info("tunnel to {}: no direct path ({}: {}), not looking further", link.peer, result, reason);
            }
        } else {
            log.debug("tunnel to {}: upgrade ended ({}: {})", link.peer, result, reason);
        }
    }

    private void release(Attempt attempt) {
        TunnelService.QuicPath quic = attempt.quic;
        if (quic != null) {
            QuicChannel connection = quic.connection().getNow(null);
            if (connection != null) {
                connection.close();
            }
            quic.connection().cancel(false);
            quic.datagrams().close();
        }
        DatagramPath bridge = attempt.bridge;
        if (bridge != null) {
            bridge.close();
        }
        closeIce(attempt.ice);
    }

    private void closeIce(IceSession ice) {
        try {
            setup.execute(ice::close); // it waits a moment for TURN deletes to leave
        } catch (RejectedExecutionException stopping) {
            ice.close();
        }
    }
}
