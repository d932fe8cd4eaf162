package io.kedge.agent.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkedBodyTest {
    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    @Test
    void theDataAloneCanBeTakenOutAcrossPieces() throws Exception {
        ChunkedBody walker = new ChunkedBody(1024);
        String wire = "4\r\nWiki\r\n5;name=v\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nNEXT";
        StringBuilder data = new StringBuilder();
        int consumed = 0;
        // Pieces of 7 bytes: boundaries fall inside sizes, data and trailers.
        for (int i = 0; i < wire.length() && !walker.done(); i += 7) {
            ByteBuf piece = ascii(wire.substring(i, Math.min(wire.length(), i + 7)));
            List<ByteBuf> out = new ArrayList<>();
            consumed += walker.walk(piece, piece.readerIndex(), piece.writerIndex(), out);
            out.forEach(b -> {
                data.append(b.toString(StandardCharsets.ISO_8859_1));
                b.release();
            });
            piece.release();
        }
        assertThat(walker.done()).isTrue();
        assertThat(data).hasToString("Wikipedia in\r\n\r\nchunks.");
        assertThat(consumed).isEqualTo(wire.length() - "NEXT".length());
    }

    @Test
    void garbageAndOversizedFramingAreRefused() {
        assertThatThrownBy(() -> walk(new ChunkedBody(1024), "zz\r\n")).isInstanceOf(ChunkedBody.MalformedChunkException.class);
        assertThatThrownBy(() -> walk(new ChunkedBody(1024), "1ffffffffffffffff\r\n"))
                .isInstanceOf(ChunkedBody.MalformedChunkException.class);
        assertThatThrownBy(() -> walk(new ChunkedBody(1024), "2\r\nabc")).isInstanceOf(ChunkedBody.MalformedChunkException.class);
        assertThatThrownBy(() -> walk(new ChunkedBody(16), "0\r\nX-Long-Trailer: " + "t".repeat(100)))
                .isInstanceOf(ChunkedBody.MalformedChunkException.class);
    }

    private static void walk(ChunkedBody walker, String s) throws ChunkedBody.MalformedChunkException {
        ByteBuf b = ascii(s);
        try {
            walker.walk(b, b.readerIndex(), b.writerIndex(), null);
        } finally {
            b.release();
        }
    }
}
