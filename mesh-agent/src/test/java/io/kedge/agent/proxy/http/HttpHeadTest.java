package io.kedge.agent.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * HttpHead parses in a per-thread scratch array and keeps only positions into its own bytes:
 * heads parsed one after another on a thread must not see each other's bytes.
 */
class HttpHeadTest {

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private static String written(HttpHead head, java.util.function.BiConsumer<HttpHead, ByteBuf> copy) {
        ByteBuf out = Unpooled.buffer();
        try {
            copy.accept(head, out);
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }

    @Test
    void aHeadKeepsItsOwnFieldsAfterOtherHeadsWereParsedOnTheSameThread() throws Exception {
        String first = "GET /first?q=1 HTTP/1.1\r\nHost: one.example\r\nX-Trace: aaa\r\n\r\n";
        HttpHead a = HttpHead.parse(ascii(first), true);
        // A longer head, then a shorter one: both overwrite the scratch array a was parsed in.
        HttpHead b = HttpHead.parse(ascii("POST /second/and/a/much/longer/target HTTP/1.1\r\nHost: two.example\r\n"
                + "X-Trace: " + "b".repeat(3000) + "\r\nContent-Length: 3\r\n\r\n"), true);
        HttpHead c = HttpHead.parse(ascii("HTTP/1.1 204 No Content\r\nServer: z\r\n\r\n"), false);
        try {
            assertThat(a.method).isEqualTo("GET");
            assertThat(a.target()).isEqualTo("/first?q=1");
            assertThat(a.get(HttpHead.Field.HOST)).isEqualTo("one.example");
            assertThat(a.get("x-trace")).isEqualTo("aaa");
            assertThat(a.name(1)).isEqualTo("X-Trace");
            assertThat(written(a, (h, out) -> h.copyField(1, out))).isEqualTo("X-Trace: aaa\r\n");
            assertThat(written(a, HttpHead::copyMethodAndTarget)).isEqualTo("GET /first?q=1");
            assertThat(written(a, (h, out) -> assertThat(h.copyWithoutEnd(out)).isTrue()))
                    .isEqualTo(first.substring(0, first.length() - 2));

            assertThat(b.target()).isEqualTo("/second/and/a/much/longer/target");
            assertThat(b.contentLength).isEqualTo(3);
            assertThat(b.get("X-Trace")).hasSize(3000);
            assertThat(c.status).isEqualTo(204);
            assertThat(c.target()).isNull();
            assertThat(written(c, HttpHead::copyStatusAndReason)).isEqualTo(" 204 No Content");
        } finally {
            a.release();
            b.release();
            c.release();
        }
    }

    @Test
    void aHeadLargerThanTheScratchArrayParses() throws Exception {
        String big = "v".repeat(40_000);
        HttpHead head = HttpHead.parse(ascii("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + big + "\r\nConnection: close\r\n\r\n"), true);
        try {
            assertThat(head.get("x-big")).isEqualTo(big);
            assertThat(head.keepAlive).isFalse();
        } finally {
            head.release();
        }
    }

    @Test
    void positionsCountFromWhereTheHeadStartsInItsBuffer() throws Exception {
        String text = "HTTP/1.0 200 OK\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n";
        ByteBuf bytes = ascii("leftover" + text);
        bytes.skipBytes("leftover".length());
        HttpHead head = HttpHead.parse(bytes, false);
        try {
            // Reading the content (as a writer of it would) does not move what the accessors see.
            head.content().skipBytes(5);
            assertThat(head.contentLength).isEqualTo(12);
            assertThat(head.keepAlive).isTrue();
            assertThat(head.value(1)).isEqualTo("keep-alive");
            assertThat(written(head, (h, out) -> assertThat(h.copyWithoutEnd(out)).isTrue()))
                    .isEqualTo(text.substring(0, text.length() - 2));
        } finally {
            head.release();
        }
    }

    @Test
    void aMalformedHeadIsRefusedAndItsBufferReleased() {
        ByteBuf bytes = ascii("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        assertThatThrownBy(() -> HttpHead.parse(bytes, true))
                .isInstanceOf(HttpHead.MalformedHeadException.class)
                .hasMessageContaining("conflicting Content-Length");
        assertThat(bytes.refCnt()).isZero();
    }
}
