package io.kedge.agent.proxy;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Fires {@link IdleStateEvent#ALL_IDLE_STATE_EVENT} when nothing was read or written for the
 * timeout (give or take a quarter). Unlike Netty's {@code IdleStateHandler} it notes a write when it
 * is issued, not when it completes, so it adds no listener (and no promise) to every write: on a
 * data path that matters. A check runs four times per timeout.
 */
public final class IdleTimeoutHandler extends ChannelDuplexHandler {
    private static final int CHECKS_PER_TIMEOUT = 4;

    private final long checkNanos;
    private boolean active;
    private int quietChecks;
    private ScheduledFuture<?> timer;

    public IdleTimeoutHandler(Duration timeout) {
        this.checkNanos = Math.max(1, timeout.toNanos() / CHECKS_PER_TIMEOUT);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (timer == null) {
            timer = ctx.executor().scheduleWithFixedDelay(() -> check(ctx), checkNanos, checkNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void check(ChannelHandlerContext ctx) {
        if (active) {
            active = false;
            quietChecks = 0;
        } else if (++quietChecks >= CHECKS_PER_TIMEOUT) {
            quietChecks = 0;
            ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        active = true;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        active = true;
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    private void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
