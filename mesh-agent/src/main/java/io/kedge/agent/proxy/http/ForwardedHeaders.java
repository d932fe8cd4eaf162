package io.kedge.agent.proxy.http;

import io.kedge.agent.proxy.http.HttpHead.Field;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;

/**
 * Header rewriting at the proxy (RFC 9110 section 7.6), straight from the received head bytes to
 * the bytes sent on: hop-by-hop fields belong to one connection and are dropped, the client's
 * address is appended to {@code X-Forwarded-For}, and {@code X-Forwarded-Proto}/{@code X-Forwarded-Host}
 * are added when absent. Upstream requests are HTTP/1.1 so that upstream connections stay alive for
 * reuse whatever the client speaks. Heads that need no more than that are copied in one piece.
 */
final class ForwardedHeaders {
    private static final int SLACK = 128;
    private static final byte[] CRLF = ascii("\r\n");
    private static final byte[] HTTP_11_LINE_END = ascii(" HTTP/1.1\r\n");
    private static final byte[] XFF = ascii("x-forwarded-for: ");
    private static final byte[] XFP_HTTP = ascii("x-forwarded-proto: http\r\n");
    private static final byte[] XFH = ascii("x-forwarded-host: ");

    private ForwardedHeaders() {
    }

    /** The bytes of {@code request}'s head as sent upstream. An upgrade keeps its {@code Connection}/{@code Upgrade} pair. */
    static ByteBuf toUpstream(HttpHead request, String clientIp, ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(request.content().readableBytes() + SLACK);
        boolean hasXff = false;
        boolean hasProto = false;
        boolean hasForwardedHost = false;
        int host = -1;
        for (int i = 0; i < request.fieldCount(); i++) {
            switch (request.field(i)) {
                case X_FORWARDED_FOR -> hasXff = true;
                case X_FORWARDED_PROTO -> hasProto = true;
                case X_FORWARDED_HOST -> hasForwardedHost = true;
                case HOST -> host = host < 0 ? i : host;
                default -> {
                }
            }
        }
        boolean dropLength = request.lengthAndEncoding;
        // The common case: the head goes on as it came, with the forwarding fields appended.
        boolean asItCame = request.http11 && !request.hasHopByHop && !hasXff && !dropLength && request.copyWithoutEnd(out);
        if (!asItCame) {
            String xff = null;
            request.copyMethodAndTarget(out);
            out.writeBytes(HTTP_11_LINE_END);
            for (int i = 0; i < request.fieldCount(); i++) {
                Field f = request.field(i);
                if (f == Field.X_FORWARDED_FOR) {
                    String v = request.value(i).strip();
                    if (!v.isEmpty()) {
                        xff = xff == null ? v : xff + ", " + v;
                    }
                } else if (!f.hopByHop() && !request.connectionNamed(i) && !(dropLength && f == Field.CONTENT_LENGTH)) {
                    request.copyField(i, out);
                }
            }
            if (request.upgrade) {
                writeField(out, "connection", "upgrade");
                writeField(out, "upgrade", request.get(Field.UPGRADE));
            }
            if (xff != null) {
                clientIp = xff + ", " + clientIp;
            }
        }
        out.writeBytes(XFF);
        ByteBufUtil.writeAscii(out, clientIp);
        out.writeBytes(CRLF);
        if (!hasProto) {
            out.writeBytes(XFP_HTTP);
        }
        if (host >= 0 && !hasForwardedHost) {
            out.writeBytes(XFH);
            request.copyValue(host, out);
            out.writeBytes(CRLF);
        }
        out.writeBytes(CRLF);
        return out;
    }

    /**
     * The bytes of {@code response}'s head as sent to the client: its connection fields are the
     * proxy's own, in the client's HTTP version. A 101 keeps {@code Connection}/{@code Upgrade}; an
     * HTTP/1.0 client loses {@code Transfer-Encoding} (the caller strips the chunk framing).
     *
     * @param keepAlive whether the client connection stays open after this response
     */
    static ByteBuf toClient(HttpHead response, boolean clientHttp11, boolean keepAlive, String setCookie, ByteBufAllocator alloc) {
        boolean switching = response.status == 101;
        if (clientHttp11 && response.http11 && !response.hasHopByHop && !response.lengthAndEncoding && keepAlive && setCookie == null
                && !switching) {
            return response.content().retainedDuplicate();
        }
        ByteBuf in = response.content();
        ByteBuf out = alloc.buffer(in.readableBytes() + SLACK);
        ByteBufUtil.writeAscii(out, clientHttp11 ? "HTTP/1.1" : "HTTP/1.0");
        response.copyStatusAndReason(out);
        out.writeByte('\r').writeByte('\n');
        for (int i = 0; i < response.fieldCount(); i++) {
            Field f = response.field(i);
            boolean framing = f == Field.TRANSFER_ENCODING && !clientHttp11 || f == Field.CONTENT_LENGTH && response.lengthAndEncoding;
            if (!f.hopByHop() && !response.connectionNamed(i) && !framing) {
                response.copyField(i, out);
            }
        }
        if (switching) {
            writeField(out, "connection", "upgrade");
            String upgradeTo = response.get(Field.UPGRADE);
            if (upgradeTo != null) {
                writeField(out, "upgrade", upgradeTo);
            }
        } else if (keepAlive && !clientHttp11) {
            writeField(out, "connection", "keep-alive");
        } else if (!keepAlive && clientHttp11) {
            writeField(out, "connection", "close");
        }
        if (setCookie != null) {
            writeField(out, "set-cookie", setCookie);
        }
        out.writeByte('\r').writeByte('\n');
        return out;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void writeField(ByteBuf out, String name, String value) {
        ByteBufUtil.writeAscii(out, name);
        out.writeByte(':').writeByte(' ');
        ByteBufUtil.writeAscii(out, value);
        out.writeByte('\r').writeByte('\n');
    }
}
