package io.kedge.server.net;

import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.SegmentedDatagramPacket;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands runs of equal-sized datagrams for one destination to the kernel as a single UDP GSO send
 * (UDP_SEGMENT): one trip through routing, netfilter and the device for up to 64 datagrams, which
 * the kernel splits again at the end. A relay forwards exactly such runs (a burst of one flow's
 * packets between two flushes). Datagrams arrive unchanged: same boundaries, same order.
 * Only datagrams that fit an Ethernet MTU are merged; others go out as they are.
 */
final class GsoCoalescer extends ChannelOutboundHandlerAdapter {
    /** The kernel's limit on segments per send (UDP_MAX_SEGMENTS on older kernels). */
    static final int MAX_SEGMENTS = 64;
    /** Segments must fit the route MTU or the kernel refuses the whole send: 1400 fits 1500 with room. */
    static final int MAX_SEGMENT_SIZE = 1400;
    private static final int MAX_TOTAL = 60_000;

    private final List<DatagramPacket> queued = new ArrayList<>();
    private final List<ChannelPromise> promises = new ArrayList<>();

    /** Whether this host's kernel and Netty's native transport can send segmented datagrams. */
    static boolean supported() {
        return EpollDatagramChannel.isSegmentedDatagramPacketSupported();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof DatagramPacket p && !(msg instanceof io.netty.channel.unix.SegmentedDatagramPacket)
                && p.content().readableBytes() > 0 && p.content().readableBytes() <= MAX_SEGMENT_SIZE && promise.isVoid()) {
            queued.add(p);
            promises.add(promise);
            return;
        }
        drain(ctx);
        ctx.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        drain(ctx);
        ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
        drain(ctx);
        super.close(ctx, promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        queued.forEach(DatagramPacket::release);
        queued.clear();
        promises.clear();
    }

    /** Writes everything queued, merging runs of equal size and destination. */
    private void drain(ChannelHandlerContext ctx) {
        int n = queued.size();
        int i = 0;
        while (i < n) {
            DatagramPacket first = queued.get(i);
            InetSocketAddress to = first.recipient();
            int size = first.content().readableBytes();
            int end = i + 1;
            int total = size;
            while (end < n && end - i < MAX_SEGMENTS && total + size <= MAX_TOTAL) {
                DatagramPacket next = queued.get(end);
                int nextSize = next.content().readableBytes();
                if (!to.equals(next.recipient()) || nextSize > size) {
                    break;
                }
                end++;
                total += nextSize;
                if (nextSize < size) {
                    break; // a shorter datagram may only be the last segment
                }
            }
            if (end - i == 1) {
                ctx.write(first, promises.get(i));
            } else {
                CompositeByteBuf data = ctx.alloc().compositeDirectBuffer(end - i);
                for (int k = i; k < end; k++) {
                    data.addComponent(true, queued.get(k).content());
                }
                ctx.write(new SegmentedDatagramPacket(data, size, to), ctx.voidPromise());
            }
            i = end;
        }
        queued.clear();
        promises.clear();
    }
}
