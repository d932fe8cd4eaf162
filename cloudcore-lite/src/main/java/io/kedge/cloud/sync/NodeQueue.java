package io.kedge.cloud.sync;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What one edge node still has to receive, and what it has not acknowledged yet. Not thread-safe: the
 * sync controller owns it from one thread.
 *
 * <ul>
 *   <li>Pending states coalesce by object UID: only the newest state of an object waits.</li>
 *   <li>Up to {@code window} messages are unacknowledged at once, at most one per object, so an
 *       object whose ACK never comes delays only itself (KubeEdge sends serially per node).</li>
 *   <li>An unacknowledged message is sent again (same id) after {@code ackTimeout}, up to
 *       {@code maxTries} times; then it goes back to pending and waits {@code backoff}.</li>
 *   <li>After a disconnect everything unacknowledged is pending again.</li>
 * </ul>
 */
public final class NodeQueue {
    /** A message to put on the wire now. */
    public record Send(String msgId, SyncItem item, boolean retry) {
    }

    private record InFlight(SyncItem item, String msgId, Instant sentAt, int tries) {
    }

    private final int window;
    private final int maxTries;
    private final Duration ackTimeout;
    private final Duration backoff;
    private final LinkedHashMap<String, SyncItem> pending = new LinkedHashMap<>();
    private final Map<String, InFlight> inFlight = new LinkedHashMap<>();
    private final Map<String, String> uidByMsgId = new HashMap<>();
    private final Map<String, Instant> notBefore = new HashMap<>();
    private long retries;
    private long requeues;

    public NodeQueue(int window, int maxTries, Duration ackTimeout, Duration backoff) {
        if (window < 1 || maxTries < 1) {
            throw new IllegalArgumentException("window and maxTries must be at least 1");
        }
        this.window = window;
        this.maxTries = maxTries;
        this.ackTimeout = ackTimeout;
        this.backoff = backoff;
    }

    /**
     * Queues a state of an object unless the same or a newer state is already pending or in flight.
     *
     * @return whether it was queued
     */
    public boolean offer(SyncItem item) {
        InFlight flying = inFlight.get(item.uid());
        if (flying != null && !item.supersedes(flying.item())) {
            return false;
        }
        SyncItem waiting = pending.get(item.uid());
        if (waiting != null && !item.supersedes(waiting)) {
            return false;
        }
        if (waiting != null) {
            pending.remove(item.uid()); // re-insert at the end: order of arrival is order of sending
        }
        pending.put(item.uid(), item);
        return true;
    }

    /** What to send now: timed-out messages again, then pending states while the window has room. */
    public List<Send> poll(Instant now) {
        return poll(now, Integer.MAX_VALUE);
    }

    /** As {@link #poll(Instant)}, with at most {@code maxNew} messages that are not resends. */
    public List<Send> poll(Instant now, int maxNew) {
        int fresh = 0;
        List<Send> out = new ArrayList<>();
        for (Iterator<InFlight> it = inFlight.values().iterator(); it.hasNext(); ) {
            InFlight f = it.next();
            if (now.isBefore(f.sentAt().plus(ackTimeout))) {
                continue;
            }
            if (f.tries() < maxTries) {
                retries++;
                InFlight again = new InFlight(f.item(), f.msgId(), now, f.tries() + 1);
                inFlight.put(f.item().uid(), again); // same key: replaces the value in place
                out.add(new Send(f.msgId(), f.item(), true));
            } else {
                it.remove();
                uidByMsgId.remove(f.msgId());
                requeues++;
                SyncItem waiting = pending.get(f.item().uid());
                if (waiting == null || f.item().supersedes(waiting)) {
                    pending.put(f.item().uid(), f.item());
                }
                notBefore.put(f.item().uid(), now.plus(backoff));
            }
        }
        for (Iterator<SyncItem> it = pending.values().iterator(); it.hasNext() && inFlight.size() < window && fresh < maxNew; ) {
            SyncItem item = it.next();
            if (inFlight.containsKey(item.uid())) {
                continue;
            }
            Instant wait = notBefore.get(item.uid());
            if (wait != null) {
                if (now.isBefore(wait)) {
                    continue;
                }
                notBefore.remove(item.uid());
            }
            it.remove();
            String id = UUID.randomUUID().toString();
            inFlight.put(item.uid(), new InFlight(item, id, now, 1));
            uidByMsgId.put(id, item.uid());
            out.add(new Send(id, item, false));
            fresh++;
        }
        return out;
    }

    /**
     * The node acknowledged (or refused) message {@code msgId}.
     *
     * @return the state it carried, or null when the id is not (or no longer) awaited
     */
    public SyncItem complete(String msgId) {
        String uid = uidByMsgId.remove(msgId);
        if (uid == null) {
            return null;
        }
        InFlight f = inFlight.remove(uid);
        return f == null ? null : f.item();
    }

    /** The connection went: nothing is in flight any more, everything unacknowledged waits again. */
    public void reset() {
        for (InFlight f : inFlight.values()) {
            SyncItem waiting = pending.get(f.item().uid());
            if (waiting == null || f.item().supersedes(waiting)) {
                pending.put(f.item().uid(), f.item());
            }
        }
        inFlight.clear();
        uidByMsgId.clear();
        notBefore.clear();
    }

    /** Whether this queue has anything pending or in flight (the controller polls only those). */
    public boolean busy() {
        return !pending.isEmpty() || !inFlight.isEmpty();
    }

    public boolean isPending(String uid) {
        return pending.containsKey(uid) || inFlight.containsKey(uid);
    }

    public int pendingCount() {
        return pending.size();
    }

    public int inFlightCount() {
        return inFlight.size();
    }

    public long retries() {
        return retries;
    }

    public long requeues() {
        return requeues;
    }
}
