package io.kedge.agent.proxy.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/** The proxy's own short answers: a status and one line of plain text saying why. */
final class HttpErrors {
    private HttpErrors() {
    }

    static FullHttpResponse response(ByteBufAllocator alloc, HttpVersion version, HttpResponseStatus status, String reason,
                                     boolean keepAlive) {
        FullHttpResponse r = new DefaultFullHttpResponse(version, status, ByteBufUtil.writeUtf8(alloc, reason + "\n"));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().set("x-kedge-proxy-error", status.code());
        HttpUtil.setContentLength(r, r.content().readableBytes());
        HttpUtil.setKeepAlive(r, keepAlive);
        return r;
    }
}
