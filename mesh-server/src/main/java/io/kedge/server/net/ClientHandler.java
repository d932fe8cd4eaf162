package io.kedge.server.net;

import io.kedge.server.binding.BindingService;
import io.kedge.server.metrics.RelayMetrics;
import io.kedge.server.stun.AttributeType;
import io.kedge.server.stun.ErrorCode;
import io.kedge.server.stun.StunClass;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.stun.StunMethod;
import io.kedge.server.turn.ClientTransport;
import io.kedge.server.turn.FiveTuple;
import io.kedge.server.turn.TurnService;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches what a client sent: Binding requests to the STUN service, everything else to the TURN
 * logic, and 400 for requests that were malformed. For UDP one handler serves every client of a
 * socket; for TCP and TLS there is one per connection, which also enforces the connection limit,
 * closes idle connections that hold no allocation and stops reading while the client is not
 * reading (so a connection's buffers stay bounded).
 */
final class ClientHandler extends SimpleChannelInboundHandler<Inbound> {
    private static final Logger log = LoggerFactory.getLogger(ClientHandler.class);

    private final ClientTransport transport;
    private final TurnService turn;
    private final BindingService binding;
    private final UdpSockets udpSockets;
    private final RelayMetrics metrics;
    private final String software;
    private final AtomicInteger connections;
    private final int maxConnections;
    private NettyClientLink streamLink;
    private boolean counted;

    ClientHandler(ClientTransport transport, TurnService turn, BindingService binding, UdpSockets udpSockets, RelayMetrics metrics,
                  String software, AtomicInteger connections, int maxConnections) {
        super(Inbound.class);
        this.transport = transport;
        this.turn = turn;
        this.binding = binding;
        this.udpSockets = udpSockets;
        this.metrics = metrics;
        this.software = software;
        this.connections = connections;
        this.maxConnections = maxConnections;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (transport.stream()) {
            if (connections.incrementAndGet() > maxConnections) {
                connections.decrementAndGet();
                log.warn("refusing {} connection from {}: {} connections open", transport.label(), ctx.channel().remoteAddress(), maxConnections);
                ctx.close();
                return;
            }
            counted = true;
            metrics.connectionOpened(transport.label());
            Channel ch = ctx.channel();
            streamLink = new NettyClientLink(ch, new FiveTuple((InetSocketAddress) ch.remoteAddress(), (InetSocketAddress) ch.localAddress(), transport));
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (counted) {
            counted = false;
            connections.decrementAndGet();
            metrics.connectionClosed(transport.label());
            turn.onLinkClosed(streamLink);
        }
        super.channelInactive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Inbound in) {
        NettyClientLink link = streamLink != null ? streamLink
                : new NettyClientLink(ctx.channel(), new FiveTuple(in.sender(), in.recipient(), transport));
        if (in instanceof Inbound.ChannelDataFrame frame) {
            turn.onChannelData(link, frame.channel(), frame.content().retain());
        } else if (in instanceof Inbound.Stun stun) {
            if (stun.message().method() == StunMethod.BINDING) {
                answerBinding(link, stun);
            } else {
                turn.onMessage(link, stun.message());
            }
        } else if (in instanceof Inbound.MalformedRequest bad) {
            link.sendMessage(StunMessage.builder(bad.method(), StunClass.ERROR, bad.transactionId())
                    .errorCode(ErrorCode.BAD_REQUEST, bad.reason()).string(AttributeType.SOFTWARE, software).build(), null);
        }
    }

    private void answerBinding(NettyClientLink link, Inbound.Stun stun) {
        BindingService.Reply reply = binding.respond(stun.message(), stun.sender(), stun.recipient(), !transport.stream());
        if (reply == null) {
            return;
        }
        metrics.bindingRequest(transport.label());
        Channel from = reply.sendFrom().equals(stun.recipient()) || transport.stream() ? null : udpSockets.channelFor(reply.sendFrom());
        if (from == null) {
            link.sendMessage(reply.message(), null);
        } else {
            WriteBatcher.write(from, new Outbound.Message(reply.message(), null, stun.sender()));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && streamLink != null && !turn.hasAllocation(streamLink.fiveTuple())) {
            // An allocation keeps its connection for as long as it lives; anything else idle goes.
            log.debug("closing idle {} connection from {}", transport.label(), ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (transport.stream()) {
            // Stop reading requests while the client is not reading answers: bounded buffers per connection.
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (transport.stream()) {
            log.debug("{} connection from {} failed: {}", transport.label(), ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        } else {
            // A failed send on the shared UDP socket concerns one datagram, not the socket.
            log.debug("udp socket {}: {}", ctx.channel().localAddress(), cause.toString());
        }
    }
}
