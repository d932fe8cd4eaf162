package io.kedge.agent.tunnel;

import io.kedge.common.signaling.SignalCodec;
import io.kedge.common.signaling.SignalException;
import io.kedge.common.signaling.SignalMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This agent's session with one mesh-server: TLS, registration, keepalives every heartbeat period
 * (a dead server is noticed after three silent periods), relay credentials refreshed at half their
 * lifetime, and reconnection with bounded exponential backoff for as long as the agent runs.
 */
final class SignalingSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SignalingSession.class);
    private static final long MIN_BACKOFF_MILLIS = 250;
    private static final long MAX_BACKOFF_MILLIS = 5000;

    /** What the tunnel learns from a session. Called on the session's event loop. */
    interface Listener {
        void registered(SignalingSession session);

        void message(SignalingSession session, SignalMessage message);

        void lost(SignalingSession session);
    }

    private final String server;
    private final String host;
    private final int port;
    private final SslContext tls;
    private final Supplier<SignalMessage.Register> registration;
    private final EventLoopGroup group;
    private final Listener listener;
    private final int heartbeatSeconds;
    private volatile Channel channel;
    private volatile boolean registered;
    private volatile String serverName;
    private volatile List<RelayServer> relays = List.of();
    private volatile Instant since;
    private long backoffMillis = MIN_BACKOFF_MILLIS;
    private long keepaliveSeq;
    private volatile boolean closed;

    SignalingSession(String server, SslContext tls, Supplier<SignalMessage.Register> registration, EventLoopGroup group, Listener listener,
                     int heartbeatSeconds) {
        this.server = server;
        int colon = server.lastIndexOf(':');
        this.host = server.substring(0, colon);
        this.port = Integer.parseInt(server.substring(colon + 1));
        this.tls = tls;
        this.registration = registration;
        this.group = group;
        this.listener = listener;
        this.heartbeatSeconds = heartbeatSeconds;
        this.serverName = server;
    }

    void start() {
        connect();
    }

    private void connect() {
        if (closed) {
            return;
        }
        new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), host, port))
                                .addLast("idle", new IdleStateHandler(3L * heartbeatSeconds, heartbeatSeconds, 0, TimeUnit.SECONDS))
                                .addLast("frames", new LengthFieldBasedFrameDecoder(SignalCodec.MAX_FRAME, 0, 4, 0, 4))
                                .addLast("length", new LengthFieldPrepender(4))
                                .addLast("session", new Handler());
                    }
                })
                .connect(host, port).addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        log.debug("mesh-server {} unreachable: {}", server, f.cause().toString());
                        retry();
                        return;
                    }
                    channel = f.channel();
                    send(registration.get());
                    f.channel().closeFuture().addListener(c -> {
                        boolean was = registered;
                        registered = false;
                        channel = null;
                        if (was) {
                            log.info("lost mesh-server {}", serverName);
                            listener.lost(this);
                        }
                        retry();
                    });
                });
    }

    private void retry() {
        if (closed) {
            return;
        }
        long delay = backoffMillis;
        backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        group.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    boolean send(SignalMessage message) {
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            return false;
        }
        ch.writeAndFlush(Unpooled.wrappedBuffer(SignalCodec.encode(message)), ch.voidPromise());
        return true;
    }

    boolean registered() {
        return registered;
    }

    String server() {
        return server;
    }

    /** The server's name for itself (its advertised address unless configured). */
    String serverName() {
        return serverName;
    }

    List<RelayServer> relays() {
        return relays;
    }

    Instant since() {
        return since;
    }

    private final class Handler extends SimpleChannelInboundHandler<ByteBuf> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            SignalMessage m;
            try {
                m = SignalCodec.decode(ByteBufUtil.getBytes(frame));
            } catch (SignalException e) {
                log.warn("mesh-server {} sent a bad frame: {}", server, e.getMessage());
                return;
            }
            if (m instanceof SignalMessage.Registered r) {
                serverName = r.server() == null ? server : r.server();
                relays = RelayServer.from(serverName, r.credentials());
                registered = true;
                since = Instant.now();
                backoffMillis = MIN_BACKOFF_MILLIS;
                scheduleRefresh(ctx, r.credentials());
                log.info("registered with mesh-server {} at {} (seen as {})", serverName, server, r.observed());
                listener.registered(SignalingSession.this);
            } else if (m instanceof SignalMessage.Credentials c) {
                relays = RelayServer.from(serverName, c.credentials());
                scheduleRefresh(ctx, c.credentials());
            } else if (m instanceof SignalMessage.Failure f && !registered) {
                log.warn("mesh-server {} refused registration: {} ({})", server, f.code(), f.message());
            } else if (!(m instanceof SignalMessage.Keepalive)) {
                listener.message(SignalingSession.this, m);
            }
        }

        private void scheduleRefresh(ChannelHandlerContext ctx, SignalMessage.RelayCredentials credentials) {
            if (credentials == null) {
                return;
            }
            long seconds = Math.max(30, (credentials.expiresAtEpochSecond() - Instant.now().getEpochSecond()) / 2);
            ctx.executor().schedule(() -> send(new SignalMessage.RefreshCredentials()), seconds, TimeUnit.SECONDS);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent idle) {
                if (idle.state() == IdleState.READER_IDLE) {
                    log.info("mesh-server {} silent for {} s: reconnecting", serverName, 3 * heartbeatSeconds);
                    ctx.close();
                } else if (idle.state() == IdleState.WRITER_IDLE) {
                    send(new SignalMessage.Keepalive(++keepaliveSeq));
                }
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("signaling with {} failed: {}", server, cause.toString());
            ctx.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }
}
