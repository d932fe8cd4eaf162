package io.kedge.agent.proxy.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import java.io.IOException;

/**
 * One direction of a byte pipe: what this channel reads is written to {@code peer}.
 * <ul>
 *   <li>Backpressure: when the peer's outbound buffer is full this channel stops reading; when the
 *       peer drains, its own relay turns this channel's reading back on. A peer on another event
 *       loop (a QUIC tunnel stream) also gets at most {@value #CROSS_LOOP_HIGH} bytes in flight:
 *       writes to it queue as tasks on its loop, which its writability does not always count (a
 *       QUIC stream's reflects only the connection's send capacity), so reading stops until the
 *       peer's loop has taken all but {@value #CROSS_LOOP_LOW} of them.</li>
 *   <li>Half-close: end of input here shuts the peer's output (a FIN passed on) while the other
 *       direction keeps flowing; a channel is closed once both of its directions are done. A peer
 *       that cannot half-close (a tunnel stream that is no {@link DuplexChannel}) is closed after
 *       what was written to it is flushed.</li>
 *   <li>Close and reset: when this channel closes, the peer is closed after what was already
 *       written to it is flushed; a reset is passed on as a reset.</li>
 * </ul>
 * Messages are passed on as they are (buffers are never copied), so the same handler pipes TCP bytes
 * and tunnel streams.
 */
public final class RelayHandler extends ChannelInboundHandlerAdapter {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RelayHandler.class);
    /** Bytes in flight to a peer on another event loop at which reading stops, and below which it resumes. */
    public static final int CROSS_LOOP_HIGH = 512 * 1024;
    public static final int CROSS_LOOP_LOW = 128 * 1024;
    /**
     * The outbound buffer of the channels relays write to (client connections, upstreams, direct TCP
     * lanes): writable again below {@value #CROSS_LOOP_LOW} bytes, not above {@value #CROSS_LOOP_HIGH}.
     * Netty's default (32/64 KiB) stopped and restarted a fast stream's reading every few records: the
     * direct TCP lane moved 4.0 Gbit/s with it, 5.7 with this (bench/tunnel).
     */
    public static final WriteBufferWaterMark OUTBOUND_WATER_MARK = new WriteBufferWaterMark(CROSS_LOOP_LOW, CROSS_LOOP_HIGH);

    private final Channel peer;
    private final CounterDataPoint bytes;
    private boolean reset;
    /** Bytes written to a peer on another event loop whose writes have not completed yet; null when the peer shares ours. */
    private java.util.concurrent.atomic.AtomicLong inFlight;
    private volatile boolean pausedForInFlight;

    /**
     * @param peer  the channel this one's input goes to
     * @param bytes counts the bytes passed on
     */
    public RelayHandler(Channel peer, CounterDataPoint bytes) {
        this.peer = peer;
        this.bytes = bytes;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (peer.eventLoop() != ctx.channel().eventLoop()) {
            inFlight = new java.util.concurrent.atomic.AtomicLong();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!peer.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        int size = msg instanceof ByteBuf buf ? buf.readableBytes() : 0;
        bytes.inc(size);
        if (inFlight == null) {
            peer.write(msg, peer.voidPromise());
        } else {
            writeAcrossLoops(ctx, msg, size);
        }
        if (!peer.isWritable() && ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
            if (inFlight != null) {
                lookAgainOnPeersLoop(ctx);
            }
        }
    }

    /**
     * A peer on another loop turns writable there, and its relay then turns our reading back on.
     * When that happened between our look at its writability and our reading going off, it found
     * reading still on and did nothing, and nothing would ever wake us (a stream stalled for good
     * in bench/tunnel). So look once more on the peer's loop, after reading went off.
     */
    private void lookAgainOnPeersLoop(ChannelHandlerContext ctx) {
        peer.eventLoop().execute(() -> {
            if (peer.isWritable() && !pausedForInFlight) {
                ctx.channel().config().setAutoRead(true);
            }
        });
    }

    private void writeAcrossLoops(ChannelHandlerContext ctx, Object msg, int size) {
        java.util.concurrent.atomic.AtomicLong pending = inFlight;
        pending.addAndGet(size);
        peer.write(msg).addListener(f -> {
            if (pending.addAndGet(-size) <= CROSS_LOOP_LOW && pausedForInFlight) {
                ctx.channel().eventLoop().execute(() -> resumeAfterInFlight(ctx));
            }
        });
        if (pending.get() > CROSS_LOOP_HIGH) {
            pausedForInFlight = true;
            ctx.channel().config().setAutoRead(false);
            // The last write may have completed before the flag was set: look again on our loop.
            ctx.channel().eventLoop().execute(() -> resumeAfterInFlight(ctx));
        }
    }

    private void resumeAfterInFlight(ChannelHandlerContext ctx) {
        if (pausedForInFlight && inFlight.get() <= CROSS_LOOP_LOW) {
            pausedForInFlight = false;
            if (peer.isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // This channel drained: the peer may read (and so write to us) again.
        if (ctx.channel().isWritable() && !peerPausedForInFlight()) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            Channel self = ctx.channel();
            if (peer instanceof DuplexChannel duplexPeer) {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                    if (f.isSuccess()) {
                        duplexPeer.shutdownOutput().addListener(s -> closeIfDone(peer));
                    }
                });
            } else {
                // The end of the stream cannot be passed on alone: end it all rather than leave it hanging.
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            closeIfDone(self);
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** Whether the peer's own relay holds its reading until its writes to us (across loops) complete. */
    private boolean peerPausedForInFlight() {
        RelayHandler peerRelay = peer.pipeline().get(RelayHandler.class);
        return peerRelay != null && peerRelay.pausedForInFlight;
    }

    /** Closes a channel both of whose directions have ended. */
    private static void closeIfDone(Channel ch) {
        if (ch instanceof DuplexChannel d && d.isInputShutdown() && d.isOutputShutdown()) {
            ch.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (peer.isActive()) {
            if (reset) {
                resetAndClose(peer);
            } else {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Typically "connection reset by peer": tell the other side the same way.
        reset = cause instanceof IOException;
        if (LOG.isDebugEnabled()) {
            LOG.debug("relay from {} ended: {}", ctx.channel(), cause.toString());
        }
        ctx.close();
    }

    /** Closes with SO_LINGER 0 so that the peer's remote sees a reset, not an orderly end. */
    static void resetAndClose(Channel ch) {
        if (ch instanceof DuplexChannel) {
            try {
                ch.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException e) {
                // Not every channel supports it; a plain close still ends the connection.
            }
        }
        ch.close();
    }
}
