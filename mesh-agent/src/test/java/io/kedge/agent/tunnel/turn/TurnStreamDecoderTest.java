package io.kedge.agent.tunnel.turn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Framing of the TURN byte stream and strict STUN decoding: bad input is dropped or closes the connection, never overreads. */
class TurnStreamDecoderTest {
    static final byte[] TX = new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

    @Test
    void framesSplitAnywhereComeOutWhole() {
        ByteBuf stream = Unpooled.buffer();
        ByteBuf first = new StunWire.Builder(StunWire.ALLOCATE, StunWire.SUCCESS, TX)
                .addXorAddress(StunWire.XOR_RELAYED_ADDRESS, new InetSocketAddress("198.51.100.7", 50123))
                .addInt(StunWire.LIFETIME, 600).add(StunWire.REALM, "r").encode(ByteBufAllocator.DEFAULT, new byte[16]);
        stream.writeBytes(first);
        stream.writeBytes(StunWire.channelData(ByteBufAllocator.DEFAULT, 0x4001, Unpooled.wrappedBuffer(new byte[] {9, 8, 7})));
        EmbeddedChannel ch = new EmbeddedChannel(new TurnStreamDecoder());
        while (stream.isReadable()) {
            ch.writeInbound(stream.readRetainedSlice(Math.min(3, stream.readableBytes())));
        }
        StunWire.Message m = ch.readInbound();
        assertThat(m.method()).isEqualTo(StunWire.ALLOCATE);
        assertThat(m.cls()).isEqualTo(StunWire.SUCCESS);
        assertThat(m.transactionId()).isEqualTo(TX);
        assertThat(m.xorAddress(StunWire.XOR_RELAYED_ADDRESS)).isEqualTo(new InetSocketAddress("198.51.100.7", 50123));
        assertThat(m.lifetime()).isEqualTo(600);
        assertThat(m.string(StunWire.REALM)).isEqualTo("r");
        assertThat(m.value(StunWire.MESSAGE_INTEGRITY)).hasSize(20);
        TurnStreamDecoder.ChannelDataFrame cd = ch.readInbound();
        assertThat(cd.channel()).isEqualTo(0x4001);
        assertThat(ByteBufUtil.getBytes(cd.payload())).containsExactly(9, 8, 7);
        cd.payload().release();
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void bytesThatStartNoMessageCloseTheConnection() {
        EmbeddedChannel ch = new EmbeddedChannel(new TurnStreamDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, 0, 0, 4, 1, 2, 3, 4}));
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aMalformedStunMessageIsDroppedAndTheNextOneStillArrives() {
        ByteBuf bad = Unpooled.buffer();
        // Header says 8 bytes of attributes, but the attribute inside claims 200.
        bad.writeShort(StunWire.messageType(StunWire.ALLOCATE, StunWire.SUCCESS)).writeShort(8).writeInt(StunWire.MAGIC_COOKIE).writeBytes(TX);
        bad.writeShort(StunWire.REALM).writeShort(200).writeInt(0);
        ByteBuf good = new StunWire.Builder(StunWire.REFRESH, StunWire.SUCCESS, TX).addInt(StunWire.LIFETIME, 0)
                .encode(ByteBufAllocator.DEFAULT, null);
        EmbeddedChannel ch = new EmbeddedChannel(new TurnStreamDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(bad, good));
        StunWire.Message m = ch.readInbound();
        assertThat(m.method()).isEqualTo(StunWire.REFRESH);
        assertThat(m.lifetime()).isZero();
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void strictDecoding() {
        assertThatThrownBy(() -> StunWire.decode(Unpooled.wrappedBuffer(new byte[10]))).isInstanceOf(TurnException.class)
                .hasMessageContaining("shorter");
        ByteBuf noCookie = Unpooled.buffer().writeShort(0x0101).writeShort(0).writeInt(0x12345678).writeBytes(TX);
        assertThatThrownBy(() -> StunWire.decode(noCookie)).isInstanceOf(TurnException.class).hasMessageContaining("magic cookie");
        ByteBuf tooMany = Unpooled.buffer().writeShort(0x0101).writeShort(4 * 65).writeInt(StunWire.MAGIC_COOKIE).writeBytes(TX);
        for (int i = 0; i < 65; i++) {
            tooMany.writeShort(0x8022).writeShort(0);
        }
        assertThatThrownBy(() -> StunWire.decode(tooMany)).isInstanceOf(TurnException.class).hasMessageContaining("attributes");
        // An ERROR-CODE too short to hold a code reads as no code at all; an IPv6 address as no address.
        StunWire.Message m = new StunWire.Message(StunWire.ALLOCATE, StunWire.ERROR, TX,
                java.util.Map.of(StunWire.ERROR_CODE, new byte[2], StunWire.XOR_RELAYED_ADDRESS, new byte[20]));
        assertThat(m.errorCode()).isZero();
        assertThat(m.xorAddress(StunWire.XOR_RELAYED_ADDRESS)).isNull();
    }

    @Test
    void messageTypesRoundTrip() {
        for (int method : new int[] {StunWire.ALLOCATE, StunWire.REFRESH, StunWire.SEND, StunWire.DATA, StunWire.CREATE_PERMISSION,
                StunWire.CHANNEL_BIND}) {
            for (int cls = 0; cls < 4; cls++) {
                int type = StunWire.messageType(method, cls);
                assertThat(StunWire.methodOf(type)).isEqualTo(method);
                assertThat(StunWire.classOf(type)).isEqualTo(cls);
            }
        }
        // RFC 8656: an Allocate error response is 0x0113, a Data indication 0x0017.
        assertThat(StunWire.messageType(StunWire.ALLOCATE, StunWire.ERROR)).isEqualTo(0x0113);
        assertThat(StunWire.messageType(StunWire.DATA, StunWire.INDICATION)).isEqualTo(0x0017);
    }
}
