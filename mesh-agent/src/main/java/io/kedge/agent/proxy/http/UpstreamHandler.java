package io.kedge.agent.proxy.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;

/**
 * Last handler of a pooled upstream connection: hands the response to the exchange that leased the
 * connection (on the exchange's event loop), and closes the connection when it misbehaves while
 * idle in the pool (unsolicited data), idles too long there, or the upstream ends its side.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private volatile HttpExchangeHandler owner;
    // An exchange that finished during the current read batch and waits for its end to flush.
    private HttpExchangeHandler flushAtReadComplete;

    void attach(HttpExchangeHandler exchange) {
        owner = exchange;
    }

    void detach() {
        owner = null;
    }

    /** Has {@code exchange} flush its client at the end of this connection's current read batch. */
    void flushAtReadComplete(HttpExchangeHandler exchange) {
        flushAtReadComplete = exchange;
    }

    private void flushFinished(ChannelHandlerContext ctx) {
        HttpExchangeHandler f = flushAtReadComplete;
        flushAtReadComplete = null;
        if (f != null) {
            if (f.inEventLoop()) {
                f.upstreamReadComplete(ctx.channel());
            } else {
                f.run(() -> f.upstreamReadComplete(ctx.channel()));
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        HttpExchangeHandler o = owner;
        if (o == null) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        if (o.inEventLoop()) {
            // The usual case (a direct upstream shares the client's loop): no task to allocate.
            o.upstreamMessage(ctx.channel(), msg);
        } else {
            o.run(() -> o.upstreamMessage(ctx.channel(), msg));
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushFinished(ctx);
        HttpExchangeHandler o = owner;
        if (o != null) {
            if (o.inEventLoop()) {
                o.upstreamReadComplete(ctx.channel());
            } else {
                o.run(() -> o.upstreamReadComplete(ctx.channel()));
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        HttpExchangeHandler o = owner;
        if (o != null && ctx.channel().isWritable()) {
            o.run(() -> o.upstreamWritable(ctx.channel()));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && owner == null) {
            ctx.close();
        } else if (evt instanceof ChannelInputShutdownEvent) {
            // The codec has passed on whatever the end of input completed; the connection is done.
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        failed(ctx, new ClosedChannelException());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
        failed(ctx, cause);
    }

    private void failed(ChannelHandlerContext ctx, Throwable cause) {
        flushFinished(ctx);
        HttpExchangeHandler o = owner;
        owner = null;
        if (o != null) {
            o.run(() -> o.upstreamFailed(ctx.channel(), cause));
        }
    }
}
