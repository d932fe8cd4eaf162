package io.kedge.server.net;

import io.kedge.common.net.DeferredFlush;
import io.netty.channel.Channel;

/**
 * The relay's writes: flushed at the end of the event loop's current round ({@link DeferredFlush}).
 * A relay reads bursts of datagrams from many sockets and writes each to another socket (client
 * socket to relay sockets and back); flushing every written socket once, after all ready reads of
 * the round were handled, lets epoll hand many datagrams to the kernel in one sendmmsg call instead
 * of one sendto each.
 */
final class WriteBatcher {
    /** Leave room in the outbound buffer: a long burst for one destination is flushed early. */
    private static final long FLUSH_EARLY_BELOW = 64 * 1024;

    private WriteBatcher() {
    }

    /** Writes {@code msg} to {@code channel}; it is flushed at the end of this loop round. */
    static void write(Channel channel, Object msg) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.writeAndFlush(msg, channel.voidPromise());
            return;
        }
        channel.write(msg, channel.voidPromise());
        if (channel.bytesBeforeUnwritable() < FLUSH_EARLY_BELOW) {
            // Without this, one round's burst could fill the buffer past its high-water mark, and
            // relayed datagrams are dropped (not queued) when a channel is unwritable.
            channel.flush();
        }
        DeferredFlush.flushAfterBatch(channel);
    }
}
