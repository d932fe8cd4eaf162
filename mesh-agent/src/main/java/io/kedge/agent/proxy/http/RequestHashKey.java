package io.kedge.agent.proxy.http;

import io.kedge.agent.catalog.LoadBalancerPolicy;
import io.kedge.agent.catalog.LoadBalancerPolicy.HashKey;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What an HTTP request's consistent hash is computed over, by the Service's policy: a header, a
 * cookie or the client IP. A request without the header or cookie falls back to its client IP,
 * except that with a cookie TTL the proxy issues a fresh cookie (and hashes on it), so that the
 * client's following requests stick to the same endpoint.
 *
 * @param key       the hash key, or null when the policy does not hash
 * @param setCookie a {@code Set-Cookie} value for the response, or null
 */
record RequestHashKey(String key, String setCookie) {
    private static final RequestHashKey NONE = new RequestHashKey(null, null);

    static RequestHashKey of(LoadBalancerPolicy policy, HttpHead request, String clientIp) {
        HashKey hash = policy.hashKey();
        if (policy.kind() != LoadBalancerPolicy.Kind.CONSISTENT_HASH || hash == null) {
            return NONE;
        }
        return switch (hash.source()) {
            case SOURCE_IP -> new RequestHashKey(clientIp, null);
            case HEADER -> {
                String value = request.get(hash.name());
                yield new RequestHashKey(value == null ? clientIp : value, null);
            }
            case COOKIE -> fromCookie(hash, request, clientIp);
        };
    }

    private static RequestHashKey fromCookie(HashKey hash, HttpHead request, String clientIp) {
        for (String header : request.getAll("cookie")) {
            for (Cookie c : ServerCookieDecoder.LAX.decodeAll(header)) {
                if (c.name().equals(hash.name())) {
                    return new RequestHashKey(c.value(), null);
                }
            }
        }
        if (hash.cookieTtl() == null) {
            return new RequestHashKey(clientIp, null);
        }
        byte[] token = new byte[12];
        ThreadLocalRandom.current().nextBytes(token);
        String value = HexFormat.of().formatHex(token);
        DefaultCookie cookie = new DefaultCookie(hash.name(), value);
        cookie.setPath("/");
        cookie.setHttpOnly(true);
        cookie.setMaxAge(Math.max(1, hash.cookieTtl().toSeconds()));
        return new RequestHashKey(value, ServerCookieEncoder.STRICT.encode(cookie));
    }
}
