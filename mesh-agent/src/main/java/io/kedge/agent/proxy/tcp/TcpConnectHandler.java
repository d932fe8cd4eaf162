package io.kedge.agent.proxy.tcp;

import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.proxy.PortListener;
import io.kedge.agent.proxy.PortMetrics;
import io.kedge.agent.proxy.UpstreamConnector.Connected;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler of an accepted TCP client: chooses and connects an endpoint (the client is not read
 * meanwhile), then replaces itself with a {@link RelayHandler} each way. When no endpoint can be
 * reached the client connection is reset, as a refused connection would be.
 *
 * <p>Reading is off while connecting, but a client that sends and half-closes at once still gets
 * read (epoll drains a socket on RDHUP): what arrives is held, at most one socket buffer's worth,
 * and replayed to the relay together with the end of input.
 */
final class TcpConnectHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TcpConnectHandler.class);

    private final PortListener listener;
    private Future<Connected> connecting;
    private final ArrayDeque<Object> early = new ArrayDeque<>();
    private boolean inputShutdown;

    TcpConnectHandler(PortListener listener) {
        this.listener = listener;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel client = ctx.channel();
        String clientIp = ((InetSocketAddress) client.remoteAddress()).getAddress().getHostAddress();
        PortMetrics metrics = listener.metrics();
        connecting = listener.context().connector().connect(listener::route, clientIp, clientIp, client.eventLoop(), metrics,
                upstream -> listener.context().dialer().dial(upstream, Protocol.TCP, client.eventLoop(),
                        new RelayHandler(client, metrics.bytesDownstream)));
        connecting.addListener(f -> {
            if (f.isSuccess()) {
                connected(ctx, connecting.getNow());
            } else if (!f.isCancelled()) {
                log.debug("{}: {}", listener.route().label(), f.cause().toString());
                RelayHandler.resetAndClose(client);
            }
        });
        ctx.fireChannelActive();
    }

    private void connected(ChannelHandlerContext ctx, Connected c) {
        Channel client = ctx.channel();
        Channel upstream = c.channel();
        if (!client.isActive()) {
            upstream.close();
            return;
        }
        listener.track(upstream);
        c.upstream().active().incrementAndGet();
        upstream.closeFuture().addListener(f -> c.upstream().active().decrementAndGet());
        Object[] held = early.toArray();
        early.clear();
        ctx.pipeline().replace(this, "relay", new RelayHandler(upstream, listener.metrics().bytesUpstream));
        if (held.length > 0) {
            for (Object msg : held) {
                client.pipeline().fireChannelRead(msg);
            }
            client.pipeline().fireChannelReadComplete();
        }
        if (inputShutdown) {
            client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        upstream.config().setAutoRead(true);
        client.config().setAutoRead(true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        early.add(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // Closed before an upstream was found: nothing will read what was held.
        early.forEach(ReferenceCountUtil::release);
        early.clear();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (connecting != null) {
            connecting.cancel(false);
        }
        ctx.fireChannelInactive();
    }
}
