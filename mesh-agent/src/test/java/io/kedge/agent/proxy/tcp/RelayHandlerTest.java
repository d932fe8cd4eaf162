package io.kedge.agent.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.prometheus.metrics.core.metrics.Counter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Backpressure towards a peer on another event loop whose writability does not count the writes
 * queued for it (as a QUIC stream's does not): the relay stops reading with too many bytes in
 * flight and reads again once the peer's loop has taken them.
 */
class RelayHandlerTest {
    /** Holds every write without completing it, like a QUIC stream whose connection cannot send yet; always writable. */
    static final class HeldWrites extends ChannelOutboundHandlerAdapter {
        final List<ChannelPromise> promises = new ArrayList<>();
        long bytes;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            bytes += ((io.netty.buffer.ByteBuf) msg).readableBytes();
            ReferenceCountUtil.release(msg);
            promises.add(promise);
        }

        void completeAll() {
            promises.forEach(ChannelPromise::setSuccess);
            promises.clear();
        }
    }

    @Test
    void readingStopsWithTooManyBytesInFlightToAPeerOnAnotherLoopAndResumesWhenTheyComplete() {
        HeldWrites held = new HeldWrites();
        EmbeddedChannel peer = new EmbeddedChannel(held);
        EmbeddedChannel source = new EmbeddedChannel();
        // Two embedded channels run on two embedded loops: the relay takes the peer for one on another loop.
        source.pipeline().addLast(new RelayHandler(peer, Counter.builder().name("relay_test_bytes").build().labelValues()));
        assertThat(source.config().isAutoRead()).isTrue();

        int chunk = 64 * 1024;
        int writes = 0;
        while (source.config().isAutoRead() && writes < 100) {
            source.writeInbound(Unpooled.wrappedBuffer(new byte[chunk]));
            source.pipeline().fireChannelReadComplete();
            writes++;
        }
        assertThat(source.config().isAutoRead()).as("reading stopped").isFalse();
        assertThat(peer.isWritable()).as("the peer itself never says it is full").isTrue();
        assertThat(held.bytes).isGreaterThan(RelayHandler.CROSS_LOOP_HIGH).isLessThanOrEqualTo(RelayHandler.CROSS_LOOP_HIGH + chunk);

        source.runPendingTasks();
        assertThat(source.config().isAutoRead()).as("still paused while the writes are pending").isFalse();
        held.completeAll();
        source.runPendingTasks();
        assertThat(source.config().isAutoRead()).as("reading again").isTrue();
        source.finishAndReleaseAll();
        peer.finishAndReleaseAll();
    }

    /**
     * The peer (on another loop) turns writable after our relay saw it full but before anything on
     * its loop could turn our reading back on: its writability event finds no one to wake. The relay
     * looks again on the peer's loop, so reading resumes.
     */
    @Test
    void readingResumesWhenAPeerOnAnotherLoopDrainedBeforeReadingWentOff() {
        EmbeddedChannel peer = new EmbeddedChannel();
        peer.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 2048));
        EmbeddedChannel source = new EmbeddedChannel();
        source.pipeline().addLast(new RelayHandler(peer, Counter.builder().name("relay_test_bytes3").build().labelValues()));

        source.pipeline().fireChannelRead(Unpooled.wrappedBuffer(new byte[4096])); // written, not yet flushed: the peer is full
        assertThat(peer.isWritable()).isFalse();
        assertThat(source.config().isAutoRead()).as("reading stopped").isFalse();

        peer.flush(); // drains on the peer's loop; its pipeline has no relay of ours to wake
        assertThat(peer.isWritable()).isTrue();
        peer.runPendingTasks();
        source.runPendingTasks();
        assertThat(source.config().isAutoRead()).as("reading again").isTrue();
        source.finishAndReleaseAll();
        peer.finishAndReleaseAll();
    }

    @Test
    void aPeerOnTheSameLoopRelaysOnItsWritabilityAlone() {
        HeldWrites held = new HeldWrites();
        EmbeddedChannel peer = new EmbeddedChannel(held);
        // The relay sits in the peer's own pipeline here: the same loop.
        peer.pipeline().addLast(new RelayHandler(peer, Counter.builder().name("relay_test_bytes2").build().labelValues()));
        for (int i = 0; i < 20; i++) {
            peer.writeInbound(Unpooled.wrappedBuffer(new byte[64 * 1024]));
        }
        assertThat(peer.config().isAutoRead()).isTrue();
        assertThat(held.bytes).isEqualTo(20L * 64 * 1024);
        peer.finishAndReleaseAll();
    }
}
