package io.kedge.agent.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The head of an HTTP/1.x request or response, read in place: the bytes stay as they came (its
 * {@link #content()}), and only the start line, the positions of the header fields and what the
 * proxy needs to know (framing, persistence, upgrade) are taken out. Values become strings only
 * when asked for. Rewriting for the next hop is {@link ForwardedHeaders}' job.
 *
 * <p>Parsing runs over a copy in a per-thread scratch array (a head is small, and byte-by-byte
 * access through the buffer's checks costs more than the copy); the head keeps only positions,
 * which index into its content, so that a request costs no copy of its own (garbage per request
 * is what sets the proxy's tail latency).
 *
 * <p>For the same reason a decoder parses into the head it emitted last once that one has been
 * released ({@link #isFree()}): a head is reference-counted through its content, and releasing the
 * content hands the object back. A head is only used on its decoder's event loop.
 */
final class HttpHead implements ReferenceCounted {
    /** Header fields the proxy acts on, recognised once while parsing. */
    enum Field {
        OTHER, HOST, CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION, KEEP_ALIVE, PROXY_CONNECTION, PROXY_AUTHENTICATE,
        PROXY_AUTHORIZATION, TE, TRAILER, UPGRADE, X_FORWARDED_FOR, X_FORWARDED_PROTO, X_FORWARDED_HOST;

        final String lowerName = name().toLowerCase().replace('_', '-');
        final byte[] lowerBytes = lowerName.getBytes(StandardCharsets.US_ASCII);

        /** Meaningful for one connection only (RFC 9110 section 7.6.1): never passed on. */
        boolean hopByHop() {
            return switch (this) {
                case CONNECTION, KEEP_ALIVE, PROXY_CONNECTION, PROXY_AUTHENTICATE, PROXY_AUTHORIZATION, TE, TRAILER, UPGRADE -> true;
                default -> false;
            };
        }
    }

    private static final Field[] KNOWN = Field.values();
    private static final boolean[] TOKEN = tokenTable();
    private static final String[] COMMON_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    // Compared as bytes: the agent runs C1-compiled code, where String.charAt is a call with checks.
    private static final byte[][] COMMON_METHOD_BYTES = bytesOf(COMMON_METHODS);
    // The recognised fields by name length: a field name is compared only with those of its length.
    private static final Field[][] KNOWN_BY_LENGTH = knownByLength();

    /** Thrown for a head that is not well-formed HTTP/1.x. */
    static final class MalformedHeadException extends Exception {
        MalformedHeadException(String message) {
            super(message);
        }
    }

    // Heads up to this size are parsed in the thread's scratch array; larger ones in one of their own.
    private static final int SCRATCH_MAX = 16 * 1024;
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[1024];
        }
    };

    // The head's bytes (a slice of the decoder's input); null once released.
    private ByteBuf content;
    // Where the head starts in content() (positions are relative to it), and its length.
    private int base;
    private int headLength;
    boolean request;
    /** Request method (null for responses). */
    String method;
    /** Response status (0 for requests). */
    int status;
    /** HTTP/1.1 (or a later 1.x); false for HTTP/1.0. */
    boolean http11;
    /** Where the start line ends (before its CR LF), and where the request target ends, relative to the head. */
    int startLineEnd;
    private int targetStart;
    private int targetEnd;
    // STRIDE ints per field: name start, name end, value start, value end (indexes into the head), Field ordinal.
    private static final int STRIDE = 5;
    private static final int[] NO_POSITIONS = new int[0];
    private int[] positions = NO_POSITIONS;
    private int count;
    /** Body framing: chunked, or a length (-1 when there is no Content-Length). */
    boolean chunked;
    boolean transferEncoding;
    /** Both Content-Length and Transfer-Encoding came: the length is ignored, and must not be passed on (RFC 9112 section 6.3). */
    boolean lengthAndEncoding;
    long contentLength;
    /** Whether the sender wants the connection kept (HTTP/1.1 unless "close"; HTTP/1.0 only with "keep-alive"). */
    boolean keepAlive;
    /** {@code Connection: upgrade} with an {@code Upgrade} field. */
    boolean upgrade;
    /** Hop-by-hop fields present, counting those named by Connection. */
    boolean hasHopByHop;
    /** Lower-case names the Connection field lists besides close/keep-alive/upgrade (usually none). */
    private List<String> connectionNamed = List.of();

    HttpHead() {
    }

    // What the proxy acts on, from the fields found. a: the head's bytes (the scratch copy).
    private void summarise(byte[] a) throws MalformedHeadException {
        boolean close = false;
        boolean keep = false;
        boolean upgradeToken = false;
        boolean hasUpgrade = false;
        boolean hop = false;
        boolean te = false;
        boolean lastChunked = false;
        long length = -1;
        List<String> named = null;
        for (int i = 0; i < count; i++) {
            Field f = field(i);
            if (f.hopByHop()) {
                hop = true;
            }
            switch (f) {
                case CONNECTION -> {
                    for (String token : value(a, i).split(",")) {
                        String t = token.strip().toLowerCase();
                        switch (t) {
                            case "close" -> close = true;
                            case "keep-alive" -> keep = true;
                            case "upgrade" -> upgradeToken = true;
                            case "" -> {
                            }
                            default -> {
                                if (named == null) {
                                    named = new ArrayList<>(2);
                                }
                                named.add(t);
                            }
                        }
                    }
                }
                case UPGRADE -> hasUpgrade = true;
                case TRANSFER_ENCODING -> {
                    te = true;
                    String v = value(a, i);
                    int comma = v.lastIndexOf(',');
                    lastChunked = (comma < 0 ? v : v.substring(comma + 1)).strip().equalsIgnoreCase("chunked");
                }
                case CONTENT_LENGTH -> {
                    long l = parseLength(a, i);
                    if (length >= 0 && l != length) {
                        throw new MalformedHeadException("conflicting Content-Length values");
                    }
                    length = l;
                }
                default -> {
                }
            }
        }
        if (te && !lastChunked && request) {
            throw new MalformedHeadException("request Transfer-Encoding must end with chunked");
        }
        this.transferEncoding = te;
        this.lengthAndEncoding = te && length >= 0;
        this.chunked = te && lastChunked;
        this.contentLength = te ? -1 : length;
        this.keepAlive = http11 ? !close : keep && !close;
        this.upgrade = upgradeToken && hasUpgrade;
        this.connectionNamed = named == null ? List.of() : named;
        if (named != null) {
            hop = true;
        }
        this.hasHopByHop = hop;
    }

    /** Parses a complete head ({@code bytes} runs from the start line to the empty line, inclusive); takes over {@code bytes}. */
    static HttpHead parse(ByteBuf bytes, boolean request) throws MalformedHeadException {
        return new HttpHead().read(bytes, request);
    }

    /** Like {@link #parse}, into this head, which must be new or {@linkplain #claim() claimed}; returns this head. */
    HttpHead read(ByteBuf bytes, boolean request) throws MalformedHeadException {
        if (content != null) {
            bytes.release();
            throw new IllegalStateException("head still in use");
        }
        try {
            doParse(bytes, request);
            content = bytes;
            return this;
        } catch (MalformedHeadException | RuntimeException e) {
            bytes.release();
            throw e;
        }
    }

    /**
     * Whether this head's bytes are gone (or it never held any): a decoder may parse into it. They
     * may have gone without {@link #release()}: a response passed on unchanged is written to the
     * client as a retained duplicate of the content, which frees it when written. A pooled slice is
     * recycled once freed, so a count read from it may be another buffer's: a count above 0 only
     * makes the decoder take a new head, and 0 cannot be read while this head's bytes are alive.
     */
    boolean isFree() {
        ByteBuf c = content;
        return c == null || c.refCnt() == 0;
    }

    /**
     * Takes this head for the next {@link #read} if it is free. Before the decoder slices its input:
     * the slice may be the very (recycled) buffer object this head still points to.
     */
    boolean claim() {
        if (!isFree()) {
            return false;
        }
        content = null;
        return true;
    }

    private void doParse(ByteBuf bytes, boolean request) throws MalformedHeadException {
        int end = bytes.readableBytes();
        byte[] a = scratch(end);
        bytes.getBytes(bytes.readerIndex(), a, 0, end);
        int lineEnd = lineEnd(a, 0, end);
        int contentEnd = lineEnd > 0 && a[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
        String method = null;
        int targetStart = 0;
        int targetEnd = 0;
        int status = 0;
        boolean http11;
        if (request) {
            int sp1 = indexOf(a, 0, contentEnd, (byte) ' ');
            int sp2 = sp1 < 0 ? -1 : indexOf(a, sp1 + 1, contentEnd, (byte) ' ');
            if (sp1 <= 0 || sp2 <= sp1 + 1) {
                throw new MalformedHeadException("request line is not METHOD TARGET VERSION");
            }
            for (int i = 0; i < sp1; i++) {
                if (!isTokenChar(a[i])) {
                    throw new MalformedHeadException("invalid method");
                }
            }
            for (int i = sp1 + 1; i < sp2; i++) {
                byte b = a[i];
                if (b <= ' ' || b == 0x7f) {
                    throw new MalformedHeadException("invalid request target");
                }
            }
            method = method(a, sp1);
            targetStart = sp1 + 1;
            targetEnd = sp2;
            http11 = version(a, sp2 + 1, contentEnd);
        } else {
            if (contentEnd < 12 || a[8] != ' ') {
                throw new MalformedHeadException("status line is not VERSION STATUS REASON");
            }
            http11 = version(a, 0, 8);
            for (int i = 9; i < 12; i++) {
                byte b = a[i];
                if (b < '0' || b > '9') {
                    throw new MalformedHeadException("invalid status code");
                }
                status = status * 10 + (b - '0');
            }
            if (contentEnd > 12 && a[12] != ' ') {
                throw new MalformedHeadException("invalid status code");
            }
            if (status < 100) {
                throw new MalformedHeadException("invalid status code " + status);
            }
        }
        int startLineEnd = contentEnd;

        int lines = 0;
        for (int i = lineEnd + 1; i < end; i++) {
            if (a[i] == '\n') {
                lines++;
            }
        }
        int need = Math.max(0, lines - 1) * STRIDE;
        if (positions.length < need) {
            positions = new int[Math.max(need, 8 * STRIDE)];
        }
        int count = 0;
        int pos = lineEnd + 1;
        while (pos < end) {
            lineEnd = lineEnd(a, pos, end);
            contentEnd = lineEnd > pos && a[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            if (contentEnd == pos) {
                break;
            }
            int colon = -1;
            for (int i = pos; i < contentEnd; i++) {
                byte b = a[i];
                if (b == ':') {
                    colon = i;
                    break;
                }
                if (!isTokenChar(b)) {
                    throw new MalformedHeadException(i == pos && (b == ' ' || b == '\t') ? "obsolete line folding is not accepted"
                            : "invalid header field name");
                }
            }
            if (colon <= pos) {
                throw new MalformedHeadException("header field without a name and colon");
            }
            int vs = colon + 1;
            int ve = contentEnd;
            while (vs < ve && isBlank(a[vs])) {
                vs++;
            }
            while (ve > vs && isBlank(a[ve - 1])) {
                ve--;
            }
            for (int i = vs; i < ve; i++) {
                byte b = a[i];
                if ((b < ' ' && b != '\t') || b == 0x7f) {
                    throw new MalformedHeadException("control character in header field value");
                }
            }
            int at = count * STRIDE;
            positions[at] = pos;
            positions[at + 1] = colon;
            positions[at + 2] = vs;
            positions[at + 3] = ve;
            positions[at + 4] = identify(a, pos, colon).ordinal();
            count++;
            pos = lineEnd + 1;
        }
        this.base = bytes.readerIndex();
        this.headLength = end;
        this.request = request;
        this.method = method;
        this.targetStart = targetStart;
        this.targetEnd = targetEnd;
        this.status = status;
        this.http11 = http11;
        this.startLineEnd = startLineEnd;
        this.count = count;
        summarise(a);
    }

    /** An array of at least {@code size} bytes for parsing: the thread's scratch array when the head fits. */
    private static byte[] scratch(int size) {
        if (size > SCRATCH_MAX) {
            return new byte[size];
        }
        byte[] a = SCRATCH.get();
        if (a.length < size) {
            a = new byte[Math.min(SCRATCH_MAX, Math.max(size, a.length * 2))];
            SCRATCH.set(a);
        }
        return a;
    }

    /** The method, as a shared constant when it is a common one. */
    private static String method(byte[] a, int len) {
        for (int m = 0; m < COMMON_METHOD_BYTES.length; m++) {
            if (same(a, 0, len, COMMON_METHOD_BYTES[m], false)) {
                return COMMON_METHODS[m];
            }
        }
        return new String(a, 0, len, StandardCharsets.US_ASCII);
    }

    /** Whether {@code a[from, from + len)} equals {@code expected} (ignoring ASCII case if asked). */
    private static boolean same(byte[] a, int from, int len, byte[] expected, boolean ignoreCase) {
        if (expected.length != len) {
            return false;
        }
        for (int k = 0; k < len; k++) {
            int b = ignoreCase ? lower(a[from + k]) : a[from + k];
            if (b != expected[k]) {
                return false;
            }
        }
        return true;
    }

    private static byte[][] bytesOf(String[] strings) {
        byte[][] out = new byte[strings.length][];
        for (int i = 0; i < strings.length; i++) {
            out[i] = strings[i].getBytes(StandardCharsets.US_ASCII);
        }
        return out;
    }

    private static Field[][] knownByLength() {
        int longest = 0;
        for (Field f : KNOWN) {
            longest = Math.max(longest, f.lowerBytes.length);
        }
        Field[][] byLength = new Field[longest + 1][];
        for (int len = 0; len <= longest; len++) {
            int length = len;
            byLength[len] = Arrays.stream(KNOWN).filter(f -> f != Field.OTHER && f.lowerBytes.length == length).toArray(Field[]::new);
        }
        return byLength;
    }

    private static int lineEnd(byte[] a, int from, int to) throws MalformedHeadException {
        int lf = indexOf(a, from, to, (byte) '\n');
        if (lf < 0) {
            throw new MalformedHeadException("incomplete head");
        }
        return lf;
    }

    private static int indexOf(byte[] a, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (a[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static boolean version(byte[] a, int from, int to) throws MalformedHeadException {
        if (to - from != 8 || a[from] != 'H' || a[from + 1] != 'T' || a[from + 2] != 'T' || a[from + 3] != 'P' || a[from + 4] != '/'
                || a[from + 5] != '1' || a[from + 6] != '.') {
            throw new MalformedHeadException("unsupported protocol version");
        }
        byte minor = a[from + 7];
        if (minor < '0' || minor > '9') {
            throw new MalformedHeadException("unsupported protocol version");
        }
        return minor != '0';
    }

    private static Field identify(byte[] a, int from, int to) {
        int len = to - from;
        if (len >= KNOWN_BY_LENGTH.length) {
            return Field.OTHER;
        }
        for (Field f : KNOWN_BY_LENGTH[len]) {
            if (same(a, from, len, f.lowerBytes, true)) {
                return f;
            }
        }
        return Field.OTHER;
    }

    private static int lower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + 32 : b;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t';
    }

    /** RFC 9110 tchar. */
    private static boolean isTokenChar(byte b) {
        return b >= 0 && TOKEN[b];
    }

    private static boolean[] tokenTable() {
        boolean[] t = new boolean[128];
        for (int c = 0; c < 128; c++) {
            t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        }
        return t;
    }

    private long parseLength(byte[] a, int i) throws MalformedHeadException {
        int vs = positions[i * STRIDE + 2];
        int ve = positions[i * STRIDE + 3];
        if (vs == ve || ve - vs > 18) {
            throw new MalformedHeadException("invalid Content-Length");
        }
        long l = 0;
        for (int k = vs; k < ve; k++) {
            byte d = a[k];
            if (d < '0' || d > '9') {
                throw new MalformedHeadException("invalid Content-Length");
            }
            l = l * 10 + (d - '0');
        }
        return l;
    }

    int fieldCount() {
        return count;
    }

    Field field(int i) {
        return KNOWN[positions[i * STRIDE + 4]];
    }

    /** Whether the Connection field named field {@code i} (so it is hop-by-hop too). */
    boolean connectionNamed(int i) {
        if (connectionNamed.isEmpty() || field(i) != Field.OTHER) {
            return false;
        }
        return connectionNamed.contains(name(i).toLowerCase());
    }

    /** The request target (null for responses). */
    String target() {
        return request ? content().toString(base + targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1) : null;
    }

    String name(int i) {
        return content().toString(base + positions[i * STRIDE], positions[i * STRIDE + 1] - positions[i * STRIDE], StandardCharsets.US_ASCII);
    }

    String value(int i) {
        return content().toString(base + positions[i * STRIDE + 2], positions[i * STRIDE + 3] - positions[i * STRIDE + 2],
                StandardCharsets.ISO_8859_1);
    }

    /** Field {@code i}'s value from the head's bytes {@code a} (during construction). */
    private String value(byte[] a, int i) {
        return new String(a, positions[i * STRIDE + 2], positions[i * STRIDE + 3] - positions[i * STRIDE + 2], StandardCharsets.ISO_8859_1);
    }

    /** The first value of a recognised field, or null. */
    String get(Field f) {
        for (int i = 0; i < count; i++) {
            if (field(i) == f) {
                return value(i);
            }
        }
        return null;
    }

    boolean has(Field f) {
        for (int i = 0; i < count; i++) {
            if (field(i) == f) {
                return true;
            }
        }
        return false;
    }

    /** Every value of the field named {@code name} (any case), in order. */
    List<String> getAll(String name) {
        List<String> values = new ArrayList<>(1);
        for (int i = 0; i < count; i++) {
            if (nameIs(i, name)) {
                values.add(value(i));
            }
        }
        return values;
    }

    /** The first value of the field named {@code name} (any case), or null. */
    String get(String name) {
        for (int i = 0; i < count; i++) {
            if (nameIs(i, name)) {
                return value(i);
            }
        }
        return null;
    }

    private boolean nameIs(int i, String name) {
        int len = positions[i * STRIDE + 1] - positions[i * STRIDE];
        if (len != name.length()) {
            return false;
        }
        ByteBuf bytes = content();
        int from = base + positions[i * STRIDE];
        for (int k = 0; k < len; k++) {
            if (lower(bytes.getByte(from + k)) != Character.toLowerCase(name.charAt(k))) {
                return false;
            }
        }
        return true;
    }

    /** Copies field {@code i} to {@code out} as {@code name: value CR LF}. */
    void copyField(int i, ByteBuf out) {
        out.writeBytes(content(), base + positions[i * STRIDE], positions[i * STRIDE + 1] - positions[i * STRIDE]);
        out.writeByte(':').writeByte(' ');
        copyValue(i, out);
        out.writeByte('\r').writeByte('\n');
    }

    /** Copies the value of field {@code i} to {@code out}. */
    void copyValue(int i, ByteBuf out) {
        out.writeBytes(content(), base + positions[i * STRIDE + 2], positions[i * STRIDE + 3] - positions[i * STRIDE + 2]);
    }

    /** Copies a request's "METHOD TARGET" to {@code out}. */
    void copyMethodAndTarget(ByteBuf out) {
        out.writeBytes(content(), base, targetEnd);
    }

    /** Copies a response's " STATUS REASON" (what follows the version) to {@code out}. */
    void copyStatusAndReason(ByteBuf out) {
        out.writeBytes(content(), base + 8, startLineEnd - 8);
    }

    /** Copies the head without its final CR LF (the empty line) to {@code out}, if it ends so; false otherwise. */
    boolean copyWithoutEnd(ByteBuf out) {
        ByteBuf bytes = content();
        int e = base + headLength;
        if (headLength < 4 || bytes.getByte(e - 4) != '\r' || bytes.getByte(e - 3) != '\n' || bytes.getByte(e - 2) != '\r'
                || bytes.getByte(e - 1) != '\n') {
            return false;
        }
        out.writeBytes(bytes, base, headLength - 2);
        return true;
    }

    boolean isMethod(String m) {
        return m.equals(method);
    }

    /** The head's bytes as they came. */
    ByteBuf content() {
        ByteBuf c = content;
        if (c == null || c.refCnt() == 0) {
            throw new IllegalStateException("head already released");
        }
        return c;
    }

    @Override
    public int refCnt() {
        ByteBuf c = content;
        return c == null ? 0 : c.refCnt();
    }

    @Override
    public HttpHead retain() {
        content().retain();
        return this;
    }

    @Override
    public HttpHead retain(int increment) {
        content().retain(increment);
        return this;
    }

    @Override
    public HttpHead touch() {
        content().touch();
        return this;
    }

    @Override
    public HttpHead touch(Object hint) {
        content().touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return release(1);
    }

    @Override
    public boolean release(int decrement) {
        if (content().release(decrement)) {
            content = null;
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        if (isFree()) {
            return "released head";
        }
        return request ? method + " " + target() : "status " + status;
    }
}
