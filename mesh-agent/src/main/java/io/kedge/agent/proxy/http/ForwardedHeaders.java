package io.kedge.agent.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Header rewriting at the proxy (RFC 9110 section 7.6): hop-by-hop headers belong to one connection
 * and are dropped, the client's address is appended to {@code X-Forwarded-For}, and
 * {@code X-Forwarded-Proto}/{@code X-Forwarded-Host} are added when absent. Upstream requests are
 * HTTP/1.1 so that upstream connections stay alive for reuse whatever the client speaks.
 */
final class ForwardedHeaders {
    private static final String X_FORWARDED_FOR = "x-forwarded-for";
    private static final String X_FORWARDED_PROTO = "x-forwarded-proto";
    private static final String X_FORWARDED_HOST = "x-forwarded-host";
    private static final List<CharSequence> HOP_BY_HOP = List.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_CONNECTION, HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION,
            HttpHeaderNames.TE, HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE);

    private ForwardedHeaders() {
    }

    /** Whether the request asks to switch protocols (WebSocket and the like): {@code Connection: upgrade} plus {@code Upgrade}. */
    static boolean isUpgrade(HttpRequest request) {
        HttpHeaders h = request.headers();
        return h.contains(HttpHeaderNames.UPGRADE) && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    /** Rewrites {@code request} in place for the upstream. An upgrade keeps its {@code Connection}/{@code Upgrade} pair. */
    static void toUpstream(HttpRequest request, String clientIp, boolean upgrade) {
        HttpHeaders h = request.headers();
        String upgradeTo = upgrade ? h.get(HttpHeaderNames.UPGRADE) : null;
        removeHopByHop(h);
        if (upgradeTo != null) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            h.set(HttpHeaderNames.UPGRADE, upgradeTo);
        }
        String previous = h.get(X_FORWARDED_FOR);
        h.set(X_FORWARDED_FOR, previous == null || previous.isBlank() ? clientIp : previous + ", " + clientIp);
        if (!h.contains(X_FORWARDED_PROTO)) {
            h.set(X_FORWARDED_PROTO, "http");
        }
        String host = h.get(HttpHeaderNames.HOST);
        if (host != null && !h.contains(X_FORWARDED_HOST)) {
            h.set(X_FORWARDED_HOST, host);
        }
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /**
     * Rewrites {@code response} in place for the client: its connection headers are the proxy's own,
     * in the client's HTTP version. A 101 keeps {@code Connection}/{@code Upgrade}.
     *
     * @return whether the client connection stays open after this response
     */
    static boolean toClient(HttpResponse response, HttpVersion clientVersion, boolean clientKeepAlive) {
        HttpHeaders h = response.headers();
        boolean switching = response.status().code() == 101;
        String upgradeTo = switching ? h.get(HttpHeaderNames.UPGRADE) : null;
        removeHopByHop(h);
        response.setProtocolVersion(clientVersion);
        if (switching) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            if (upgradeTo != null) {
                h.set(HttpHeaderNames.UPGRADE, upgradeTo);
            }
            return true;
        }
        boolean keepAlive = clientKeepAlive;
        if (clientVersion.equals(HttpVersion.HTTP_1_0) && HttpUtil.isTransferEncodingChunked(response)) {
            // An HTTP/1.0 client cannot read chunks: send the body raw and end it by closing.
            h.remove(HttpHeaderNames.TRANSFER_ENCODING);
            keepAlive = false;
        }
        HttpUtil.setKeepAlive(response, keepAlive);
        return keepAlive;
    }

    /** Drops hop-by-hop headers, including those the Connection header names. */
    private static void removeHopByHop(HttpHeaders h) {
        if (h.contains(HttpHeaderNames.CONNECTION)) {
            List<String> named = new ArrayList<>();
            for (String value : h.getAll(HttpHeaderNames.CONNECTION)) {
                for (String token : value.split(",")) {
                    String t = token.strip().toLowerCase(Locale.ROOT);
                    if (!t.isEmpty()) {
                        named.add(t);
                    }
                }
            }
            named.forEach(h::remove);
        }
        for (CharSequence name : HOP_BY_HOP) {
            h.remove(name);
        }
    }
}
