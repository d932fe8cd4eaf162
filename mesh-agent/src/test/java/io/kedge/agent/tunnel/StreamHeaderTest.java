package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.catalog.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class StreamHeaderTest {
    @Test
    void aHeaderRoundTripsInItsFixedLength() {
        ByteBuf b = Unpooled.buffer();
        StreamHeader.write(b, Protocol.UDP, new InetSocketAddress("198.51.100.7", 5353));
        assertThat(b.readableBytes()).isEqualTo(StreamHeader.LENGTH);
        StreamHeader.Target t = StreamHeader.read(b);
        assertThat(t).isEqualTo(new StreamHeader.Target(Protocol.UDP, new InetSocketAddress("198.51.100.7", 5353)));
        b.release();
    }

    @Test
    void anythingElseIsNoHeader() {
        assertThat(StreamHeader.read(Unpooled.wrappedBuffer("GET / HTTP".getBytes()))).isNull();
        // Right magic, unknown protocol; right magic, port 0.
        assertThat(StreamHeader.read(Unpooled.wrappedBuffer(new byte[] {'K', 'T', 1, 7, 1, 2, 3, 4, 0, 80}))).isNull();
        assertThat(StreamHeader.read(Unpooled.wrappedBuffer(new byte[] {'K', 'T', 1, 0, 1, 2, 3, 4, 0, 0}))).isNull();
        assertThat(StreamHeader.read(Unpooled.wrappedBuffer(new byte[] {'K', 'T', 2, 0, 1, 2, 3, 4, 0, 80}))).isNull();
    }

    @Test
    void statusReasonsAreBounded() {
        ByteBuf b = Unpooled.buffer();
        StreamHeader.writeStatus(b, StreamHeader.REFUSED, "x".repeat(5000));
        assertThat(b.readByte()).isEqualTo(StreamHeader.REFUSED);
        assertThat(b.readUnsignedShort()).isEqualTo(StreamHeader.MAX_REASON);
        assertThat(b.readableBytes()).isEqualTo(StreamHeader.MAX_REASON);
        b.release();
    }
}
