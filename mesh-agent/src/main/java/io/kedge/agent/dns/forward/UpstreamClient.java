package io.kedge.agent.dns.forward;

import io.kedge.common.net.NetTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;

/**
 * One query to one upstream server over UDP or TCP, on Netty event loops: nothing blocks, and the
 * time limit is a timer on the channel's loop.
 *
 * <p>Each UDP query gets its own connected socket on a fresh ephemeral port: replies from any other
 * address are not even delivered, the port adds to the ID as a guess an off-path spoofer must get
 * right, and an ICMP port-unreachable (a server that is down) fails the query at once instead of
 * after the timeout. Datagrams that do not match the query (ID, question) are ignored, not taken as
 * failure, so a spoofer cannot make a query fail either.
 */
public final class UpstreamClient {
    /** Larger than any payload size we advertise; anything longer is not an answer to our query. */
    static final int MAX_UDP_REPLY = 4096;

    private final EventLoopGroup group;
    private final NetTransport transport;

    public UpstreamClient(EventLoopGroup group, NetTransport transport) {
        this.group = group;
        this.transport = transport;
    }

    /** Upstream timed out (a distinct type so that failures can be counted by reason). */
    public static final class UpstreamTimeoutException extends TimeoutException {
        public UpstreamTimeoutException(String message) {
            super(message);
        }
    }

    /** Sends {@code query} to {@code server}; the future fails on timeout, network error or a bad TCP reply. */
    public CompletableFuture<Message> exchange(InetSocketAddress server, Message query, boolean tcp, long timeoutMillis) {
        CompletableFuture<Message> result = new CompletableFuture<>();
        byte[] wire = query.toWire();
        Bootstrap b = new Bootstrap().group(group);
        if (tcp) {
            b.channelFactory(transport.stream())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(65535 + 2, 0, 2, 0, 2),
                                    new LengthFieldPrepender(2), new ReplyHandler(query, result, true));
                        }
                    });
        } else {
            b.channelFactory(transport.datagram())
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_UDP_REPLY))
                    .handler(new ReplyHandler(query, result, false));
        }
        ChannelFuture connect = b.connect(server);
        Channel ch = connect.channel();
        ScheduledFuture<?> timer = ch.eventLoop().schedule(
                () -> result.completeExceptionally(new UpstreamTimeoutException("no answer from " + server + " within "
                        + timeoutMillis + " ms")), timeoutMillis, TimeUnit.MILLISECONDS);
        result.whenComplete((m, e) -> {
            timer.cancel(false);
            ch.close();
        });
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
                return;
            }
            ch.writeAndFlush(Unpooled.wrappedBuffer(wire)).addListener(w -> {
                if (!w.isSuccess()) {
                    result.completeExceptionally(w.cause());
                }
            });
        });
        return result;
    }

    /** Completes the exchange with the first reply that answers our query. */
    private static final class ReplyHandler extends ChannelInboundHandlerAdapter {
        private final Message query;
        private final CompletableFuture<Message> result;
        private final boolean tcp;

        ReplyHandler(Message query, CompletableFuture<Message> result, boolean tcp) {
            this.query = query;
            this.result = result;
            this.tcp = tcp;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                ByteBuf data = msg instanceof DatagramPacket p ? p.content() : msg instanceof ByteBuf buf ? buf : null;
                Message reply = data == null ? null : answering(query, data);
                if (reply != null) {
                    result.complete(reply);
                } else if (tcp) {
                    // On a connection of our own there is no one else to answer: a wrong reply is a failure.
                    result.completeExceptionally(new IOException("reply over TCP does not answer the query"));
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(new IOException("connection closed before the reply"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(cause);
        }
    }

    /** {@code data} parsed if it is a reply to {@code query} (ID, QR, question name, type, class), else null. */
    static Message answering(Message query, ByteBuf data) {
        if (data.readableBytes() < 12 || data.getUnsignedShort(data.readerIndex()) != query.getHeader().getID()) {
            return null;
        }
        Message reply;
        try {
            reply = new Message(data.nioBuffer());
        } catch (Exception e) {
            return null;
        }
        Record q = query.getQuestion();
        Record r = reply.getQuestion();
        if (!reply.getHeader().getFlag(Flags.QR) || r == null || !q.getName().equals(r.getName())
                || q.getType() != r.getType() || q.getDClass() != r.getDClass()) {
            return null;
        }
        return reply;
    }
}
