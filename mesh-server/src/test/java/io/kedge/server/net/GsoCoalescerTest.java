package io.kedge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs of equal-sized datagrams to one destination leave as one segmented send, unchanged in content and order. */
class GsoCoalescerTest {
    static final InetSocketAddress A = new InetSocketAddress("192.0.2.1", 1000);
    static final InetSocketAddress B = new InetSocketAddress("192.0.2.2", 1000);

    static DatagramPacket packet(int size, int fill, InetSocketAddress to) {
        ByteBuf b = Unpooled.directBuffer(size);
        for (int i = 0; i < size; i++) {
            b.writeByte(fill);
        }
        return new DatagramPacket(b, to);
    }

    static List<Object> writeAndFlush(List<DatagramPacket> packets) {
        EmbeddedChannel ch = new EmbeddedChannel(new GsoCoalescer());
        for (DatagramPacket p : packets) {
            ch.write(p, ch.voidPromise());
        }
        assertThat((Object) ch.readOutbound()).as("nothing leaves before the flush").isNull();
        ch.flush();
        List<Object> out = new ArrayList<>();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            out.add(o);
        }
        return out;
    }

    @Test
    void equalRunsAreMergedWithTheirSegmentSizeAndContent() {
        List<Object> out = writeAndFlush(List.of(packet(100, 1, A), packet(100, 2, A), packet(100, 3, A), packet(40, 4, A),
                packet(100, 5, A), packet(100, 6, B)));
        assertThat(out).hasSize(3);
        SegmentedDatagramPacket first = (SegmentedDatagramPacket) out.get(0);
        assertThat(first.segmentSize()).isEqualTo(100);
        assertThat(first.recipient()).isEqualTo(A);
        byte[] bytes = ByteBufUtil.getBytes(first.content());
        assertThat(bytes).hasSize(340);
        assertThat(bytes[0]).isEqualTo((byte) 1);
        assertThat(bytes[299]).isEqualTo((byte) 3);
        assertThat(bytes[339]).as("the shorter datagram ends the run").isEqualTo((byte) 4);
        assertThat(out.get(1)).isInstanceOf(DatagramPacket.class).isNotInstanceOf(SegmentedDatagramPacket.class);
        assertThat(((DatagramPacket) out.get(2)).recipient()).isEqualTo(B);
        out.forEach(io.netty.util.ReferenceCountUtil::release);
    }

    @Test
    void largeDatagramsAndLongRunsAreBounded() {
        List<DatagramPacket> packets = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            packets.add(packet(500, i, A));
        }
        packets.add(packet(1500, 9, A)); // larger than a segment may be: sent alone
        List<Object> out = writeAndFlush(packets);
        assertThat(out).hasSize(3);
        assertThat(((SegmentedDatagramPacket) out.get(0)).content().readableBytes()).isEqualTo(64 * 500);
        assertThat(((SegmentedDatagramPacket) out.get(1)).content().readableBytes()).isEqualTo(6 * 500);
        assertThat(((DatagramPacket) out.get(2)).content().readableBytes()).isEqualTo(1500);
        out.forEach(io.netty.util.ReferenceCountUtil::release);
    }
}
