package io.kedge.agent.tunnel;

import io.kedge.agent.catalog.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The opening side of a tunnel stream: sends the {@link StreamHeader}, waits for the receiving
 * agent's status, and then completes the promise with the stream, reading off. Bytes that arrived
 * with the status are held until the new owner asks to read, so none is lost to a pipeline that
 * has no handler for it yet.
 */
final class StreamOpenHandler extends ChannelDuplexHandler {
    /** A refusal or dial failure reported by the receiving agent. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    private final Protocol protocol;
    private final InetSocketAddress target;
    private final Promise<Channel> opened;
    private ByteBuf received;
    private ByteBuf held;
    private boolean answered;
    private boolean headerSent;

    /** @param protocol null for a probe ({@link StreamHeader#PROBE}; {@code target} is then only for messages) */
    StreamOpenHandler(Protocol protocol, InetSocketAddress target, Promise<Channel> opened) {
        this.protocol = protocol;
        this.target = target;
        this.opened = opened;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        sendHeader(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // A locally opened stream may be active before its handlers are added: then no channelActive follows.
        if (ctx.channel().isActive()) {
            sendHeader(ctx);
        }
    }

    private void sendHeader(ChannelHandlerContext ctx) {
        if (headerSent) {
            return;
        }
        headerSent = true;
        org.slf4j.LoggerFactory.getLogger(StreamOpenHandler.class).debug("header to {} on {}", target, ctx.channel());
        ByteBuf header = ctx.alloc().buffer(StreamHeader.LENGTH);
        if (protocol == null) {
            StreamHeader.writeProbe(header);
        } else {
            StreamHeader.write(header, protocol, target);
        }
        ctx.writeAndFlush(header);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (answered) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf buf = (ByteBuf) msg;
        if (received == null) {
            received = buf;
        } else {
            received = ctx.alloc().compositeBuffer().addComponents(true, received, buf);
        }
        if (received.readableBytes() < 3) {
            return;
        }
        int reasonLength = received.getUnsignedShort(received.readerIndex() + 1);
        if (reasonLength > StreamHeader.MAX_REASON) {
            fail(ctx, new IOException("the peer agent sent a malformed stream status"));
            return;
        }
        if (received.readableBytes() < 3 + reasonLength) {
            return;
        }
        byte status = received.readByte();
        received.skipBytes(2);
        String reason = received.readCharSequence(reasonLength, StandardCharsets.UTF_8).toString();
        answered = true;
        if (status != StreamHeader.OK) {
            fail(ctx, new Refused("peer agent " + (status == StreamHeader.REFUSED ? "refused " : "could not dial ") + target + ": " + reason));
            return;
        }
        ctx.channel().config().setAutoRead(false);
        if (received.isReadable()) {
            held = received;
        } else {
            received.release();
        }
        received = null;
        if (!opened.trySuccess(ctx.channel())) {
            ctx.close();
        }
    }

    private void fail(ChannelHandlerContext ctx, IOException cause) {
        answered = true;
        if (received != null) {
            received.release();
            received = null;
        }
        opened.tryFailure(cause);
        ctx.close();
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (held != null) {
            ByteBuf b = held;
            held = null;
            ctx.fireChannelRead(b);
            ctx.fireChannelReadComplete();
        }
        ctx.read();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        opened.tryFailure(new IOException("tunnel stream to " + target + " closed before the peer agent answered"));
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!opened.isDone()) {
            fail(ctx, cause instanceof IOException io ? io : new IOException(cause));
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        if (received != null) {
            received.release();
            received = null;
        }
        if (held != null) {
            held.release();
            held = null;
        }
    }
}
