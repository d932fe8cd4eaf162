package io.kedge.common.net;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.List;

/**
 * Flushes channels once their event loop has handled its current batch of ready I/O events, not at
 * once. Netty runs a loop's tasks after the I/O events of the batch in progress (NIO and epoll
 * alike), and the flush is such a task. Two uses:
 * <ul>
 *   <li>The agent's HTTP proxy ends an exchange with a small write to its client, and a request with
 *   one to its upstream. Flushed one by one, each wakes its reader for a single message, and the
 *   woken thread often preempts the loop mid-batch; flushed at the batch's end, a reader wakes once
 *   for all of them (bench/proxy/results/2026-11-25-s18-flush.md).</li>
 *   <li>mesh-server's relay writes bursts of datagrams to many sockets; flushed at the end, epoll
 *   hands each socket's datagrams to the kernel in one sendmmsg call.</li>
 * </ul>
 * The delay is the rest of one batch: microseconds. Off the channel's loop the flush is immediate.
 */
public final class DeferredFlush implements Runnable {
    private static final FastThreadLocal<DeferredFlush> PER_THREAD = new FastThreadLocal<>() {
        @Override
        protected DeferredFlush initialValue() {
            return new DeferredFlush();
        }
    };

    private final List<Channel> pending = new ArrayList<>();
    // The loop the pending flushes run on; null while none is scheduled.
    private EventLoop scheduledOn;

    private DeferredFlush() {
    }

    /** Flushes {@code ch} at the end of its loop's current batch (at once when called off that loop). */
    public static void flushAfterBatch(Channel ch) {
        EventLoop loop = ch.eventLoop();
        if (!loop.inEventLoop()) {
            ch.flush();
            return;
        }
        DeferredFlush d = PER_THREAD.get();
        if (d.scheduledOn == null) {
            d.scheduledOn = loop;
            loop.execute(d);
        } else if (d.scheduledOn != loop) {
            // Another loop on this thread (only embedded test loops share one): no batch to join.
            ch.flush();
            return;
        }
        if (!d.pending.contains(ch)) {
            d.pending.add(ch);
        }
    }

    @Override
    public void run() {
        scheduledOn = null;
        // Flushing may lead to more writes: those belong to a batch of their own, so that one task's
        // work stays bounded.
        Channel[] channels = pending.toArray(new Channel[0]);
        pending.clear();
        for (Channel ch : channels) {
            ch.flush();
        }
    }
}
