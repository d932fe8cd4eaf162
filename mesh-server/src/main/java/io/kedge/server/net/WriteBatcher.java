package io.kedge.server.net;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.List;

/**
 * Defers flushes to the end of the event loop's current round. A relay reads bursts of datagrams
 * from many sockets and writes each to another socket (client socket to relay sockets and back);
 * flushing every written socket once, after all ready reads of the round were handled, lets epoll
 * hand many datagrams to the kernel in one sendmmsg call instead of one sendto each. The flush is
 * a task on the same loop, and Netty runs tasks after the round's I/O.
 */
final class WriteBatcher implements Runnable {
    private static final FastThreadLocal<WriteBatcher> CURRENT = new FastThreadLocal<>() {
        @Override
        protected WriteBatcher initialValue() {
            return new WriteBatcher();
        }
    };

    private final List<Channel> pending = new ArrayList<>();
    private EventLoop scheduledOn;

    private WriteBatcher() {
    }

    /** Leave room in the outbound buffer: a long burst for one destination is flushed early. */
    private static final long FLUSH_EARLY_BELOW = 64 * 1024;

    /** Writes {@code msg} to {@code channel}; it is flushed at the end of this loop round. */
    static void write(Channel channel, Object msg) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.writeAndFlush(msg, channel.voidPromise());
            return;
        }
        WriteBatcher b = CURRENT.get();
        EventLoop loop = channel.eventLoop();
        if (b.scheduledOn != null && b.scheduledOn != loop) {
            // Another loop on this thread (only embedded test loops do that): no deferring.
            channel.writeAndFlush(msg, channel.voidPromise());
            return;
        }
        channel.write(msg, channel.voidPromise());
        if (channel.bytesBeforeUnwritable() < FLUSH_EARLY_BELOW) {
            // Without this, one round's burst could fill the buffer past its high-water mark, and
            // relayed datagrams are dropped (not queued) when a channel is unwritable.
            channel.flush();
        }
        if (!b.pending.contains(channel)) {
            b.pending.add(channel);
        }
        if (b.scheduledOn == null) {
            b.scheduledOn = loop;
            loop.execute(b);
        }
    }

    /** Flushes every channel written since the last flush (runs as a task on this loop). */
    @Override
    public void run() {
        scheduledOn = null;
        // Flushing may lead to more writes (and a new round): take this round's channels first.
        Channel[] channels = pending.toArray(new Channel[0]);
        pending.clear();
        for (Channel channel : channels) {
            channel.flush();
        }
    }
}
