package io.kedge.agent.proxy.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import java.io.IOException;

/**
 * One direction of a byte pipe: what this channel reads is written to {@code peer}.
 * <ul>
 *   <li>Backpressure: when the peer's outbound buffer is full this channel stops reading; when the
 *       peer drains, its own relay turns this channel's reading back on.</li>
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
    private final Channel peer;
    private final CounterDataPoint bytes;
    private boolean reset;

    /**
     * @param peer  the channel this one's input goes to
     * @param bytes counts the bytes passed on
     */
    public RelayHandler(Channel peer, CounterDataPoint bytes) {
        this.peer = peer;
        this.bytes = bytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!peer.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf buf) {
            bytes.inc(buf.readableBytes());
        }
        peer.write(msg, peer.voidPromise());
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
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
        if (ctx.channel().isWritable()) {
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
