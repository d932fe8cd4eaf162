package io.kedge.agent.tunnel;

import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.proxy.tcp.RelayHandler;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of a tunnel stream: reads the {@link StreamHeader}, refuses targets that are
 * not this node's own endpoints with an explicit status, dials the rest, answers "connected", and
 * then pipes the stream to the connection (TCP, half-close passed on) or to a connected UDP socket
 * (one length-framed datagram per frame).
 */
final class StreamAcceptHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(StreamAcceptHandler.class);
    private static final int CONNECT_TIMEOUT_MILLIS = 5000;
    private static final int UDP_IDLE_SECONDS = 120;

    private final LocalTargets targets;
    private final TunnelMetrics metrics;
    private final Runnable used;
    private ByteBuf header;
    private boolean decided;

    /** @param used called when a stream is accepted (the tunnel is in use, not idle) */
    StreamAcceptHandler(LocalTargets targets, TunnelMetrics metrics, Runnable used) {
        this.targets = targets;
        this.metrics = metrics;
        this.used = used;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (decided) {
            // Bytes after the header while dialing: reading is off, so only what came in one read.
            pending(ctx, (ByteBuf) msg);
            return;
        }
        ByteBuf buf = (ByteBuf) msg;
        if (header == null) {
            header = ctx.alloc().buffer(StreamHeader.LENGTH);
        }
        int take = Math.min(buf.readableBytes(), StreamHeader.LENGTH - header.readableBytes());
        header.writeBytes(buf, take);
        if (header.readableBytes() < StreamHeader.LENGTH) {
            buf.release();
            return;
        }
        decided = true;
        StreamHeader.Target target = StreamHeader.read(header);
        log.debug("tunnel stream for {}", target);
        header.release();
        header = null;
        if (buf.isReadable()) {
            pending(ctx, buf);
        } else {
            buf.release();
        }
        if (target == null) {
            metrics.refusedStream("malformed");
            answerAndClose(ctx, StreamHeader.REFUSED, "malformed stream header");
            return;
        }
        if (target == StreamHeader.PROBE) {
            answerAndClose(ctx, StreamHeader.OK, "probe");
            return;
        }
        String refusal = targets.refusal(target.protocol(), target.address());
        if (refusal != null) {
            metrics.refusedStream("not_local");
            log.info("refused tunnel stream to {} {}: {}", target.protocol(), target.address(), refusal);
            answerAndClose(ctx, StreamHeader.REFUSED, refusal);
            return;
        }
        used.run();
        ctx.channel().config().setAutoRead(false);
        if (target.protocol() == Protocol.TCP) {
            dialTcp(ctx, target);
        } else {
            dialUdp(ctx, target);
        }
    }

    private ByteBuf early;

    private void pending(ChannelHandlerContext ctx, ByteBuf buf) {
        if (early == null) {
            early = buf;
        } else {
            early = ctx.alloc().compositeBuffer().addComponents(true, early, buf);
        }
    }

    private void dialTcp(ChannelHandlerContext ctx, StreamHeader.Target target) {
        Channel stream = ctx.channel();
        ChannelFuture dial = new Bootstrap().group(stream.eventLoop()).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, RelayHandler.OUTBOUND_WATER_MARK)
                .handler(new RelayHandler(stream, metrics.bytesReceivedFromTargets()))
                .connect(target.address());
        dial.addListener((ChannelFutureListener) f -> {
            if (dialFailed(ctx, f)) {
                return;
            }
            Channel upstream = f.channel();
            stream.pipeline().replace(this, "relay", new RelayHandler(upstream, metrics.bytesSentToTargets()));
            answerConnected(stream);
            if (early != null) {
                upstream.writeAndFlush(early);
                early = null;
            }
            stream.config().setAutoRead(true);
            upstream.config().setAutoRead(true);
        });
        stream.closeFuture().addListener(f -> {
            if (!dial.isDone()) {
                dial.cancel(false);
            }
        });
    }

    private void dialUdp(ChannelHandlerContext ctx, StreamHeader.Target target) {
        Channel stream = ctx.channel();
        ChannelFuture dial = new Bootstrap().group(stream.eventLoop()).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new IdleStateHandler(0, 0, UDP_IDLE_SECONDS, TimeUnit.SECONDS))
                                .addLast(new DatagramToStream(stream, metrics));
                    }
                })
                .connect(target.address());
        dial.addListener((ChannelFutureListener) f -> {
            if (dialFailed(ctx, f)) {
                return;
            }
            Channel socket = f.channel();
            answerConnected(stream);
            stream.pipeline().addBefore(ctx.name(), "frames", new LengthFieldBasedFrameDecoder(65535 + 2, 0, 2, 0, 2))
                    .addBefore(ctx.name(), "framer", new LengthFieldPrepender(2))
                    .replace(this, "relay", new RelayHandler(socket, metrics.bytesSentToTargets()));
            if (early != null) {
                stream.pipeline().fireChannelRead(early);
                stream.pipeline().fireChannelReadComplete();
                early = null;
            }
            stream.config().setAutoRead(true);
        });
    }

    /** Replies from the UDP target, each one frame on the stream. */
    private static final class DatagramToStream extends SimpleChannelInboundHandler<DatagramPacket> {
        private final Channel stream;
        private final TunnelMetrics metrics;

        DatagramToStream(Channel stream, TunnelMetrics metrics) {
            this.stream = stream;
            this.metrics = metrics;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            metrics.bytesReceivedFromTargets().inc(packet.content().readableBytes());
            stream.writeAndFlush(packet.content().retain());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
                stream.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            stream.close();
        }
    }

    private boolean dialFailed(ChannelHandlerContext ctx, ChannelFuture dial) {
        if (dial.isSuccess()) {
            return false;
        }
        metrics.refusedStream("dial_failed");
        answerAndClose(ctx, StreamHeader.DIAL_FAILED, String.valueOf(dial.cause().getMessage()));
        return true;
    }

    private static void answerConnected(Channel stream) {
        ByteBuf status = stream.alloc().buffer(3);
        StreamHeader.writeStatus(status, StreamHeader.OK, "");
        stream.writeAndFlush(status);
    }

    private void answerAndClose(ChannelHandlerContext ctx, byte status, String reason) {
        ByteBuf out = ctx.alloc().buffer();
        StreamHeader.writeStatus(out, status, reason);
        ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent && !decided) {
            // Ended before a header (the opener's heartbeat streams do this): nothing to dial.
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (header != null) {
            header.release();
            header = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (early != null) {
            early.release();
            early = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("tunnel stream failed: {}", cause.toString());
        ctx.close();
    }
}
