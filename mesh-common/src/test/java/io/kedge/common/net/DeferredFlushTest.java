package io.kedge.common.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Flushes deferred to the end of the loop's batch: local channels on one real loop, and embedded loops sharing a thread. */
class DeferredFlushTest {
    private DefaultEventLoopGroup group;
    private Channel server;
    // What each accepted connection has received, keyed by its server-side channel.
    private final Map<Channel, StringBuilder> received = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        group = new DefaultEventLoopGroup(1);
        server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf b = (ByteBuf) msg;
                                received.computeIfAbsent(ctx.channel(), c -> new StringBuilder())
                                        .append(b.toString(StandardCharsets.US_ASCII));
                                b.release();
                            }
                        });
                    }
                })
                .bind(new LocalAddress("deferred-flush-test")).sync().channel();
    }

    @AfterEach
    void stop() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private Channel connect() throws InterruptedException {
        return new Bootstrap().group(group).channel(LocalChannel.class).handler(new ChannelInboundHandlerAdapter())
                .connect(server.localAddress()).sync().channel();
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private static long unflushed(Channel ch) {
        return ch.unsafe().outboundBuffer().totalPendingWriteBytes();
    }

    private String all() {
        StringBuilder sb = new StringBuilder();
        received.values().stream().map(StringBuilder::toString).sorted().forEach(s -> sb.append(s).append('|'));
        return sb.toString();
    }

    @Test
    void writesOfSeveralChannelsGoOutTogetherOnceTheLoopsCurrentWorkIsDone() throws Exception {
        Channel a = connect();
        Channel b = connect();
        EventLoop loop = a.eventLoop();
        assertThat(b.eventLoop()).isSameAs(loop);
        long[] heldDuringTheBatch = new long[2];
        loop.submit(() -> {
            a.write(ascii("a1"));
            DeferredFlush.flushAfterBatch(a);
            b.write(ascii("b1"));
            DeferredFlush.flushAfterBatch(b);
            a.write(ascii("a2"));
            DeferredFlush.flushAfterBatch(a); // the same channel again: one flush, order kept
            heldDuringTheBatch[0] = unflushed(a);
            heldDuringTheBatch[1] = unflushed(b);
        }).sync();
        // Pending bytes count each message's overhead too: held means above zero.
        assertThat(heldDuringTheBatch[0]).isPositive();
        assertThat(heldDuringTheBatch[1]).isPositive();
        // The loop ran the deferred flush right after that work: nothing is held any more.
        loop.submit(() -> {
            heldDuringTheBatch[0] = unflushed(a);
            heldDuringTheBatch[1] = unflushed(b);
        }).sync();
        assertThat(heldDuringTheBatch).containsExactly(0, 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> all().equals("a1a2|b1|"));

        // A second batch schedules a flush of its own.
        loop.submit(() -> {
            b.write(ascii("b2"));
            DeferredFlush.flushAfterBatch(b);
        }).sync();
        await().atMost(Duration.ofSeconds(5)).until(() -> all().equals("a1a2|b1b2|"));
    }

    @Test
    void offTheChannelsLoopTheFlushIsImmediate() throws Exception {
        Channel a = connect();
        a.writeAndFlush(ascii("x")).sync();
        a.write(ascii("y"));
        DeferredFlush.flushAfterBatch(a); // from the test thread: no batch to wait for
        await().atMost(Duration.ofSeconds(5)).until(() -> all().equals("xy|"));
    }

    @Test
    void aChannelOfAnotherLoopOnTheSameThreadIsFlushedAtOnce() {
        // Embedded loops all run on the caller's thread; the second one has no batch in progress.
        EmbeddedChannel first = new EmbeddedChannel();
        EmbeddedChannel second = new EmbeddedChannel();
        first.write(ascii("1"));
        DeferredFlush.flushAfterBatch(first);
        second.write(ascii("2"));
        DeferredFlush.flushAfterBatch(second);
        assertThat(first.outboundMessages()).isEmpty();
        ByteBuf out = second.readOutbound();
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("2");
        out.release();
        first.runPendingTasks();
        ByteBuf flushed = first.readOutbound();
        assertThat(flushed.toString(StandardCharsets.US_ASCII)).isEqualTo("1");
        flushed.release();
        first.finishAndReleaseAll();
        second.finishAndReleaseAll();
    }
}
