package io.kedge.server.signaling;

import io.kedge.common.signaling.SignalCodec;
import io.kedge.common.signaling.SignalException;
import io.kedge.common.signaling.SignalMessage;
import io.kedge.common.signaling.SignalMessage.Failure;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's signaling connection, after TLS and framing: the first message must be a valid
 * {@link SignalMessage.Register} within the registration timeout; after that the agent's offers,
 * answers, candidates and byes are forwarded to the named node's session, stamped with the sender's
 * authenticated name. Bad frames get a {@link Failure} answer; before registration they also close.
 */
final class SignalingHandler extends SimpleChannelInboundHandler<ByteBuf> {
    private static final Logger log = LoggerFactory.getLogger(SignalingHandler.class);
    /** IP literals only: a host name here would mean a DNS lookup on the event loop. */
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]{7,15}|[0-9a-fA-F:.]{2,45}");

    private final AgentRegistry registry;
    private final AgentAuthenticator authenticator;
    private final Function<String, SignalMessage.RelayCredentials> credentials;
    private final SignalingMetrics metrics;
    private final String serverName;
    private final int registerTimeoutSeconds;
    private final Clock clock;
    private AgentSession session;

    SignalingHandler(AgentRegistry registry, AgentAuthenticator authenticator, Function<String, SignalMessage.RelayCredentials> credentials,
                     SignalingMetrics metrics, String serverName, int registerTimeoutSeconds, Clock clock) {
        this.registry = registry;
        this.authenticator = authenticator;
        this.credentials = credentials;
        this.metrics = metrics;
        this.serverName = serverName;
        this.registerTimeoutSeconds = registerTimeoutSeconds;
        this.clock = clock;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.executor().schedule(() -> {
            if (session == null && ctx.channel().isActive()) {
                metrics.registration("timeout");
                refuseAndClose(ctx, Failure.NOT_REGISTERED, "no registration within " + registerTimeoutSeconds + " s", null);
            }
        }, registerTimeoutSeconds, TimeUnit.SECONDS);
        super.channelActive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
        SignalMessage message;
        try {
            message = SignalCodec.decode(ByteBufUtil.getBytes(frame));
        } catch (SignalException e) {
            metrics.refused("malformed");
            if (session == null) {
                refuseAndClose(ctx, Failure.BAD_MESSAGE, e.getMessage(), null);
            } else {
                send(ctx, new Failure(Failure.BAD_MESSAGE, e.getMessage(), null));
            }
            return;
        }
        if (message instanceof SignalMessage.Register register) {
            register(ctx, register);
        } else if (session == null) {
            metrics.refused("not_registered");
            refuseAndClose(ctx, Failure.NOT_REGISTERED, "register first", null);
        } else if (message instanceof SignalMessage.Description d) {
            forward(ctx, d.to(), d.session(), d.from(session.node()), "description");
        } else if (message instanceof SignalMessage.Candidate c) {
            forward(ctx, c.to(), c.session(), c.from(session.node()), "candidate");
        } else if (message instanceof SignalMessage.Bye b) {
            forward(ctx, b.to(), b.session(), b.from(session.node()), "bye");
        } else if (message instanceof SignalMessage.Keepalive k) {
            send(ctx, k);
        } else if (message instanceof SignalMessage.RefreshCredentials) {
            SignalMessage.RelayCredentials fresh = credentials.apply(session.node());
            if (fresh != null) {
                send(ctx, new SignalMessage.Credentials(fresh));
            }
        } else {
            metrics.refused("unexpected");
            send(ctx, new Failure(Failure.BAD_MESSAGE, "agents do not send " + message.getClass().getSimpleName(), null));
        }
    }

    private void register(ChannelHandlerContext ctx, SignalMessage.Register register) {
        if (session != null) {
            metrics.refused("registered_twice");
            send(ctx, new Failure(Failure.BAD_MESSAGE, "already registered as " + session.node(), null));
            return;
        }
        try {
            authenticator.authenticate(register, ctx.pipeline().get(SslHandler.class).engine().getSession());
        } catch (AgentAuthenticator.Refused e) {
            metrics.registration("unauthenticated");
            log.info("refused registration of {} from {}: {}", register.node(), ctx.channel().remoteAddress(), e.getMessage());
            refuseAndClose(ctx, Failure.UNAUTHENTICATED, e.getMessage(), null);
            return;
        }
        List<InetAddress> addresses = new ArrayList<>();
        for (String a : register.addresses()) {
            InetAddress parsed = literal(a);
            if (parsed == null || parsed.isAnyLocalAddress() || parsed.isMulticastAddress()) {
                metrics.registration("bad_address");
                refuseAndClose(ctx, Failure.BAD_MESSAGE, "addresses: " + a + " is not a unicast IP address", null);
                return;
            }
            addresses.add(parsed);
        }
        InetSocketAddress observed = (InetSocketAddress) ctx.channel().remoteAddress();
        AgentSession candidate = new AgentSession(register.node(), ctx.channel(), observed, addresses, clock.instant());
        AgentRegistry.Registration outcome = registry.register(candidate);
        if (!outcome.accepted()) {
            metrics.registration("full");
            refuseAndClose(ctx, Failure.OVERLOADED, "this server holds its maximum number of agents", null);
            return;
        }
        session = candidate;
        if (outcome.replaced() != null) {
            // The node reconnected (restart, or a connection the old side has not noticed is dead).
            AgentSession old = outcome.replaced();
            old.send(new Failure(Failure.REPLACED, "a newer connection registered " + old.node(), null));
            old.channel().close();
        }
        metrics.registration("accepted");
        log.info("registered {} from {} ({} addresses)", register.node(), observed, addresses.size());
        send(ctx, new SignalMessage.Registered(serverName, register.node(),
                observed.getAddress().getHostAddress() + ":" + observed.getPort(), credentials.apply(register.node())));
    }

    private void forward(ChannelHandlerContext ctx, String to, String sessionId, SignalMessage stamped, String type) {
        AgentSession target = registry.find(to).orElse(null);
        if (target == null) {
            metrics.refused("unknown_peer");
            send(ctx, new Failure(Failure.UNKNOWN_PEER, to + " is not registered with " + serverName, sessionId));
            return;
        }
        if (!target.send(stamped)) {
            metrics.refused("peer_backlogged");
            send(ctx, new Failure(Failure.OVERLOADED, to + " is not reading its signaling connection", sessionId));
            return;
        }
        metrics.forwarded(type);
    }

    private static InetAddress literal(String text) {
        if (!IP_LITERAL.matcher(text).matches()) {
            return null;
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static void send(ChannelHandlerContext ctx, SignalMessage message) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(SignalCodec.encode(message)), ctx.voidPromise());
    }

    private static void refuseAndClose(ChannelHandlerContext ctx, String code, String text, String sessionId) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(SignalCodec.encode(new Failure(code, text, sessionId))))
                .addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            log.debug("closing idle signaling connection {}", session == null ? ctx.channel().remoteAddress() : session.node());
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (session != null && registry.unregister(session)) {
            log.info("{} left", session.node());
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            metrics.refused("frame_too_long");
        }
        log.debug("signaling connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
