package io.kedge.agent.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/** The proxy's own short answers: a status and one line of plain text saying why, as bytes ready to send. */
final class HttpErrors {
    private HttpErrors() {
    }

    static ByteBuf response(ByteBufAllocator alloc, boolean http11, HttpResponseStatus status, String reason, boolean keepAlive) {
        byte[] body = (reason + "\n").getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(160)
                .append(http11 ? "HTTP/1.1 " : "HTTP/1.0 ").append(status.code()).append(' ').append(status.reasonPhrase()).append("\r\n")
                .append("content-type: text/plain; charset=utf-8\r\n")
                .append("x-kedge-proxy-error: ").append(status.code()).append("\r\n")
                .append("content-length: ").append(body.length).append("\r\n");
        if (keepAlive && !http11) {
            head.append("connection: keep-alive\r\n");
        } else if (!keepAlive && http11) {
            head.append("connection: close\r\n");
        }
        head.append("\r\n");
        ByteBuf out = alloc.buffer(head.length() + body.length);
        ByteBufUtil.writeAscii(out, head);
        out.writeBytes(body);
        return out;
    }
}
