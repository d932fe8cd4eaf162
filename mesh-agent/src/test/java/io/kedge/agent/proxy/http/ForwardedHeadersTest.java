package io.kedge.agent.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ForwardedHeadersTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    private static HttpHead head(String s, boolean request) throws Exception {
        return HttpHead.parse(Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1), request);
    }

    private static String text(ByteBuf b) {
        try {
            return b.toString(StandardCharsets.ISO_8859_1);
        } finally {
            b.release();
        }
    }

    private static String upstream(String request) throws Exception {
        HttpHead h = head(request, true);
        try {
            return text(ForwardedHeaders.toUpstream(h, "198.51.100.7", ALLOC));
        } finally {
            h.release();
        }
    }

    private static String client(String response, boolean http11, boolean keepAlive, String cookie) throws Exception {
        HttpHead h = head(response, false);
        try {
            return text(ForwardedHeaders.toClient(h, http11, keepAlive, cookie, ALLOC));
        } finally {
            h.release();
        }
    }

    @Test
    void aPlainRequestKeepsItsBytesAndGainsTheForwardingFields() throws Exception {
        assertThat(upstream("GET /x?y=1 HTTP/1.1\r\nHost: web:8080\r\nAccept: */*\r\n\r\n")).isEqualTo(
                "GET /x?y=1 HTTP/1.1\r\nHost: web:8080\r\nAccept: */*\r\n"
                        + "x-forwarded-for: 198.51.100.7\r\nx-forwarded-proto: http\r\nx-forwarded-host: web:8080\r\n\r\n");
    }

    @Test
    void hopByHopFieldsGoAndAnEarlierForwardedForIsExtended() throws Exception {
        assertThat(upstream("POST /p HTTP/1.0\nHost: web\nConnection: keep-alive, X-Secret\nX-Secret: s\nKeep-Alive: 5\n"
                + "X-Forwarded-For: 203.0.113.1\nX-Forwarded-Proto: https\nTE: trailers\nContent-Length: 4\n"
                + "Transfer-Encoding: chunked\n\n")).isEqualTo(
                "POST /p HTTP/1.1\r\nHost: web\r\nX-Forwarded-Proto: https\r\nTransfer-Encoding: chunked\r\n"
                        + "x-forwarded-for: 203.0.113.1, 198.51.100.7\r\nx-forwarded-host: web\r\n\r\n");
    }

    @Test
    void anUpgradeKeepsItsConnectionAndUpgradeFields() throws Exception {
        assertThat(upstream("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Forwarded-Host: h\r\n\r\n")).isEqualTo(
                "GET /ws HTTP/1.1\r\nX-Forwarded-Host: h\r\nconnection: upgrade\r\nupgrade: websocket\r\n"
                        + "x-forwarded-for: 198.51.100.7\r\nx-forwarded-proto: http\r\n\r\n");
    }

    @Test
    void aResponseThatNeedsNoChangeGoesAsItCame() throws Exception {
        String r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
        assertThat(client(r, true, true, null)).isEqualTo(r);
    }

    @Test
    void responsesSpeakTheClientsVersionAndTheProxysPersistence() throws Exception {
        assertThat(client("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\n", true, false,
                "k=v; Path=/")).isEqualTo(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nconnection: close\r\nset-cookie: k=v; Path=/\r\n\r\n");
        assertThat(client("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n", false, true, null))
                .isEqualTo("HTTP/1.0 404 Not Found\r\nContent-Length: 2\r\nconnection: keep-alive\r\n\r\n");
        // An HTTP/1.0 client gets no chunks (the body loses its framing on the way).
        assertThat(client("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, false, null))
                .isEqualTo("HTTP/1.0 200 OK\r\n\r\n");
        // A length next to chunked framing is meaningless and goes (RFC 9112 section 6.3).
        assertThat(client("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n", true, true, null))
                .isEqualTo("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        assertThat(client("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", true, true, null))
                .isEqualTo("HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n");
    }
}
