package io.kedge.agent.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.proxy.http.HttpDecodeFailure.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpMessageDecoderTest {
    private static final int MAX_LINE = 256;
    private static final int MAX_HEAD = 1024;

    private EmbeddedChannel channel;
    private final List<Object> taken = new ArrayList<>();

    @AfterEach
    void release() {
        taken.forEach(ReferenceCountUtil::release);
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private EmbeddedChannel requests() {
        channel = new EmbeddedChannel(HttpMessageDecoder.forRequests(MAX_LINE, MAX_HEAD));
        return channel;
    }

    private EmbeddedChannel responses() {
        channel = new EmbeddedChannel(HttpMessageDecoder.forResponses(MAX_LINE, MAX_HEAD));
        return channel;
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private void feed(String s) {
        channel.writeInbound(ascii(s));
    }

    private void feedByteByByte(String s) {
        for (char c : s.toCharArray()) {
            channel.writeInbound(ascii(String.valueOf(c)));
        }
    }

    /** Everything decoded so far. */
    private List<Object> decoded() {
        List<Object> out = new ArrayList<>();
        for (Object o; (o = channel.readInbound()) != null; ) {
            out.add(o);
            taken.add(o);
        }
        return out;
    }

    /** One message's head, then its body parts up to the last: the body bytes as they came. */
    private static String body(List<Object> parts) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            BodyPart p = (BodyPart) parts.get(i);
            sb.append(p.content().toString(StandardCharsets.ISO_8859_1));
            assertThat(p.last).as("only the final part is last").isEqualTo(i == parts.size() - 1);
        }
        return sb.toString();
    }

    @Test
    void contentLengthBodiesEndExactlyAndThePipelinedRequestFollows() {
        requests();
        feed("POST /a HTTP/1.1\r\nHost: web\r\nContent-Length: 11\r\n\r\nhello");
        feed(" worldGET /b HTTP/1.1\r\nHost: web\r\n\r\n");
        List<Object> out = decoded();
        HttpHead first = (HttpHead) out.get(0);
        assertThat(first.method).isEqualTo("POST");
        assertThat(first.target()).isEqualTo("/a");
        assertThat(first.contentLength).isEqualTo(11);
        assertThat(first.keepAlive).isTrue();
        assertThat(body(out.subList(1, 3))).isEqualTo("hello world");
        HttpHead second = (HttpHead) out.get(3);
        assertThat(second.target()).isEqualTo("/b");
        assertThat(out.get(4)).isSameAs(BodyPart.EMPTY_LAST);
        assertThat(out).hasSize(5);
    }

    @Test
    void chunkedBodiesPassWithTheirFramingAndTrailersEvenByteByByte() {
        requests();
        String chunked = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
        feedByteByByte("\r\nPUT /c HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + chunked + "GET /next HTTP/1.0\r\n\r\n");
        List<Object> out = decoded();
        HttpHead head = (HttpHead) out.get(0);
        assertThat(head.chunked).isTrue();
        int nextHead = 1;
        while (!(out.get(nextHead) instanceof HttpHead)) {
            nextHead++;
        }
        assertThat(body(out.subList(1, nextHead))).isEqualTo(chunked);
        HttpHead next = (HttpHead) out.get(nextHead);
        assertThat(next.target()).isEqualTo("/next");
        assertThat(next.http11).isFalse();
        assertThat(next.keepAlive).isFalse();
    }

    @Test
    void brokenChunkFramingIsAFailureAndNothingAfterItIsRead() {
        requests();
        feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\nGET / HTTP/1.1\r\n\r\n");
        List<Object> out = decoded();
        assertThat(out.get(0)).isInstanceOf(HttpHead.class);
        HttpDecodeFailure failure = (HttpDecodeFailure) out.get(out.size() - 1);
        assertThat(failure.kind()).isEqualTo(Kind.MALFORMED);
        feed("GET / HTTP/1.1\r\n\r\n");
        assertThat(decoded()).isEmpty();
    }

    @Test
    void malformedHeadsAreFailures() {
        for (String head : List.of(
                "GET / HTTP/2.0\r\n\r\n",
                "GET /\r\n\r\n",
                "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
                "GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
                "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
                "GET / HTTP/1.1\r\nX: a\u0000b\r\n\r\n")) {
            requests();
            feed(head);
            List<Object> out = decoded();
            assertThat(out).as(head).hasSize(1);
            assertThat(((HttpDecodeFailure) out.get(0)).kind()).as(head).isEqualTo(Kind.MALFORMED);
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void oversizedHeadsFailBeforeTheyAreComplete() {
        requests();
        // No line end ever comes: the decoder gives up once the line is too long, holding no more.
        feed("GET /" + "a".repeat(MAX_LINE));
        List<Object> out = decoded();
        assertThat(((HttpDecodeFailure) out.get(0)).kind()).isEqualTo(Kind.LINE_TOO_LONG);
        channel.finishAndReleaseAll();

        requests();
        feed("GET / HTTP/1.1\r\n");
        for (int i = 0; i < 40; i++) {
            feed("X-Field-" + i + ": " + "v".repeat(40) + "\r\n");
        }
        out = decoded();
        assertThat(out).hasSize(1);
        assertThat(((HttpDecodeFailure) out.get(0)).kind()).isEqualTo(Kind.HEAD_TOO_LARGE);
        feed("\r\n");
        assertThat(decoded()).isEmpty();
    }

    @Test
    void responsesToHeadAnd204And304HaveNoBodyWhateverTheirFieldsSay() {
        responses();
        HttpMessageDecoder decoder = channel.pipeline().get(HttpMessageDecoder.class);
        decoder.expectResponseTo(true);
        feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
        feed("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nHTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n");
        feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        List<Object> out = decoded();
        assertThat(out).hasSize(8);
        assertThat(((HttpHead) out.get(0)).status).isEqualTo(200);
        assertThat(out.get(1)).isSameAs(BodyPart.EMPTY_LAST);
        assertThat(((HttpHead) out.get(2)).status).isEqualTo(204);
        assertThat(out.get(3)).isSameAs(BodyPart.EMPTY_LAST);
        assertThat(((HttpHead) out.get(4)).status).isEqualTo(304);
        assertThat(out.get(5)).isSameAs(BodyPart.EMPTY_LAST);
        // Only the response to the HEAD request was bodyless because of it.
        assertThat(body(out.subList(7, 8))).isEqualTo("ok");
    }

    @Test
    void interimResponsesPrecedeTheFinalOne() {
        responses();
        feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        List<Object> out = decoded();
        assertThat(((HttpHead) out.get(0)).status).isEqualTo(100);
        assertThat(out.get(1)).isSameAs(BodyPart.EMPTY_LAST);
        assertThat(((HttpHead) out.get(2)).status).isEqualTo(201);
        assertThat(out.get(3)).isSameAs(BodyPart.EMPTY_LAST);
    }

    @Test
    void aResponseWithoutLengthEndsWhenTheInputEnds() {
        responses();
        feed("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst ");
        feed("second");
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        List<Object> out = decoded();
        HttpHead head = (HttpHead) out.get(0);
        assertThat(head.contentLength).isEqualTo(-1);
        assertThat(head.chunked).isFalse();
        assertThat(body(out.subList(1, out.size()))).isEqualTo("first second");
        // The close that follows adds nothing.
        channel.close();
        assertThat(decoded()).isEmpty();
    }

    @Test
    void afterA101TheStreamIsRawBytes() {
        responses();
        feed("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\u0081\u0002hi");
        feed("HTTP/1.1 200 not http any more\r\n\r\n");
        List<Object> out = decoded();
        HttpHead head = (HttpHead) out.get(0);
        assertThat(head.status).isEqualTo(101);
        assertThat(head.upgrade).isTrue();
        assertThat(out.get(1)).isSameAs(BodyPart.EMPTY_LAST);
        StringBuilder raw = new StringBuilder();
        for (Object o : out.subList(2, out.size())) {
            raw.append(((ByteBuf) o).toString(StandardCharsets.ISO_8859_1));
        }
        assertThat(raw).hasToString("\u0081\u0002hiHTTP/1.1 200 not http any more\r\n\r\n");
    }

    @Test
    void persistenceAndUpgradeFollowTheConnectionField() {
        requests();
        feed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
                + "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
                + "GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nExpect: 100-continue\r\n\r\n");
        List<Object> out = decoded();
        HttpHead old = (HttpHead) out.get(0);
        HttpHead closing = (HttpHead) out.get(2);
        HttpHead ws = (HttpHead) out.get(4);
        assertThat(old.keepAlive).isTrue();
        assertThat(closing.keepAlive).isFalse();
        assertThat(ws.upgrade).isTrue();
        assertThat(ws.keepAlive).isTrue();
        assertThat(ws.get("expect")).isEqualTo("100-continue");
    }

    @Test
    void aReleasedHeadIsParsedIntoAgainAndAHeldOneIsLeftAlone() {
        requests();
        feed("GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
        HttpHead first = (HttpHead) channel.readInbound();
        assertThat((Object) channel.readInbound()).isSameAs(BodyPart.EMPTY_LAST);
        assertThat(first.target()).isEqualTo("/first");
        first.release();
        assertThat(first.isFree()).isTrue();

        // Released: the next head reuses the object.
        feed("PUT /second HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\nX-D: 4\r\n"
                + "X-E: 5\r\nX-F: 6\r\nX-G: 7\r\nX-H: 8\r\nX-I: 9\r\n\r\n");
        HttpHead second = (HttpHead) channel.readInbound();
        channel.readInbound();
        assertThat(second).isSameAs(first);
        assertThat(second.target()).isEqualTo("/second");
        assertThat(second.method).isEqualTo("PUT");
        assertThat(second.fieldCount()).isEqualTo(11);
        assertThat(second.get("X-I")).isEqualTo("9");

        // Still held (not released): the next head is a new object, and the held one keeps its values.
        feed("DELETE /third HTTP/1.1\r\nHost: c\r\n\r\n");
        HttpHead third = (HttpHead) channel.readInbound();
        channel.readInbound();
        assertThat(third).isNotSameAs(second);
        assertThat(third.target()).isEqualTo("/third");
        assertThat(third.fieldCount()).isEqualTo(1);
        assertThat(second.target()).isEqualTo("/second");
        assertThat(second.get("Host")).isEqualTo("b");
        second.release();
        third.release();
        assertThat(second.refCnt()).isZero();
        assertThat(third.refCnt()).isZero();
    }

    /** Input in pooled buffers, as a socket reads it: slices of it are recycled objects. */
    private void feedPooled(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        channel.writeInbound(PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes));
    }

    /** Runs {@code body} on a Netty thread, the only kind whose released slices are recycled (as on an event loop). */
    private static void onNettyThread(Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new FastThreadLocalThread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(failure.get()).isNull();
    }

    @Test
    void aHeadWhoseBytesWentOnAsADuplicateIsFreeWhenThatIsReleased() throws InterruptedException {
        onNettyThread(this::headFreedThroughADuplicate);
    }

    private void headFreedThroughADuplicate() {
        responses();
        feedPooled("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        HttpHead first = (HttpHead) channel.readInbound();
        channel.readInbound();
        // As a response passed on unchanged: the client gets a retained duplicate of the head's bytes.
        ByteBuf toClient = first.content().retainedDuplicate();
        assertThat(first.release()).isFalse();
        assertThat(first.isFree()).isFalse();

        feedPooled("HTTP/1.1 204 No Content\r\n\r\n");
        HttpHead second = (HttpHead) channel.readInbound();
        channel.readInbound();
        assertThat(second).isNotSameAs(first);
        assertThat(toClient.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200 OK");
        toClient.release();
        assertThat(first.isFree()).isTrue();
        second.release();

        feedPooled("HTTP/1.1 304 Not Modified\r\n\r\n");
        HttpHead third = (HttpHead) channel.readInbound();
        channel.readInbound();
        assertThat(third).isSameAs(second);
        assertThat(third.status).isEqualTo(304);
        // Freed through a duplicate again, so that its slice object is the one recycled last: the
        // next head's slice is that very object, which the free head still points to.
        ByteBuf again = third.content().retainedDuplicate();
        third.release();
        again.release();
        assertThat(third.isFree()).isTrue();

        feedPooled("HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\n\r\n");
        HttpHead fourth = (HttpHead) channel.readInbound();
        channel.readInbound();
        assertThat(fourth).isSameAs(third);
        assertThat(fourth.status).isEqualTo(301);
        assertThat(fourth.get("Location")).isEqualTo("/x");
        fourth.release();
    }
}
