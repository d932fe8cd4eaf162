package io.kedge.agent.proxy.http;

import io.kedge.agent.proxy.http.HttpDecodeFailure.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits an HTTP/1.x byte stream into messages without re-encoding anything: each message is an
 * {@link HttpHead} followed by {@link BodyPart}s (slices of the input, chunk framing and trailers
 * included), the last one marked. Bodyless messages get {@link BodyPart#EMPTY_LAST}. Input that is
 * not HTTP, or heads beyond the limits, give one {@link HttpDecodeFailure}, after which input is
 * dropped: a head is never held beyond {@code maxInitialLine + maxHeaderSize} bytes.
 *
 * <p>For responses the decoder must know whether the request was HEAD (see {@link #expectResponseTo});
 * after a 101 the stream is no longer HTTP and goes on as plain {@link ByteBuf}s.
 */
final class HttpMessageDecoder extends ByteToMessageDecoder {
    private enum State { HEAD, LENGTH, CHUNKED, UNTIL_CLOSE, RAW, ENDED }

    private final boolean requests;
    private final int maxInitialLine;
    private final int maxHeaderSize;
    private State state = State.HEAD;
    private long remaining;
    private ChunkedBody chunks;
    // Progress in the head being read, relative to the reader index: bytes already searched for the
    // end of a line, where the line being read starts (a read may end inside it), and whether the
    // start line is complete (and its length with its line end).
    private int scanned;
    private int lineStart;
    private boolean startLineDone;
    private int firstLineLength;
    // Responses: whether the request they answer is HEAD (no body whatever the fields say).
    private boolean headRequest;
    // The head emitted last: parsed into again once released (heads are used on this decoder's loop only).
    private HttpHead spare;

    HttpMessageDecoder(boolean requests, int maxInitialLine, int maxHeaderSize) {
        this.requests = requests;
        this.maxInitialLine = maxInitialLine;
        this.maxHeaderSize = maxHeaderSize;
    }

    static HttpMessageDecoder forRequests(int maxInitialLine, int maxHeaderSize) {
        return new HttpMessageDecoder(true, maxInitialLine, maxHeaderSize);
    }

    static HttpMessageDecoder forResponses(int maxInitialLine, int maxHeaderSize) {
        return new HttpMessageDecoder(false, maxInitialLine, maxHeaderSize);
    }

    /** Notes the method of the request just sent, which the next final response answers. Call on the channel's loop. */
    void expectResponseTo(boolean head) {
        headRequest = head;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case HEAD -> head(in, out);
            case LENGTH -> {
                int n = (int) Math.min(remaining, in.readableBytes());
                remaining -= n;
                boolean last = remaining == 0;
                out.add(new BodyPart(in.readRetainedSlice(n), last));
                if (last) {
                    state = State.HEAD;
                }
            }
            case CHUNKED -> {
                int n;
                try {
                    n = chunks.walk(in, in.readerIndex(), in.writerIndex(), null);
                } catch (ChunkedBody.MalformedChunkException e) {
                    fail(in, out, Kind.MALFORMED, e.getMessage());
                    return;
                }
                boolean last = chunks.done();
                out.add(new BodyPart(in.readRetainedSlice(n), last));
                if (last) {
                    chunks = null;
                    state = State.HEAD;
                }
            }
            case UNTIL_CLOSE -> out.add(new BodyPart(in.readRetainedSlice(in.readableBytes()), false));
            case RAW -> out.add(in.readRetainedSlice(in.readableBytes()));
            case ENDED -> in.skipBytes(in.readableBytes());
            default -> throw new IllegalStateException(state.toString());
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (in.isReadable()) {
            decode(ctx, in, out);
        }
        if (state == State.UNTIL_CLOSE) {
            // The end of the input is the end of this body.
            state = State.ENDED;
            out.add(BodyPart.EMPTY_LAST);
        }
    }

    private void head(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        if (scanned == 0) {
            // Empty lines before a message are ignored (RFC 9112 section 2.2).
            while (in.isReadable() && (in.getByte(in.readerIndex()) == '\r' || in.getByte(in.readerIndex()) == '\n')) {
                in.skipBytes(1);
            }
            start = in.readerIndex();
            if (!in.isReadable()) {
                return;
            }
        }
        int end = in.writerIndex();
        int from = start + scanned;
        while (true) {
            int lf = from >= end ? -1 : in.indexOf(from, end, (byte) '\n');
            int upTo = (lf < 0 ? end : lf) - start;
            if (!startLineDone && upTo > maxInitialLine + 1) {
                fail(in, out, Kind.LINE_TOO_LONG, (requests ? "request" : "status") + " line longer than " + maxInitialLine + " bytes");
                return;
            }
            if (startLineDone && upTo - firstLineLength > maxHeaderSize) {
                fail(in, out, Kind.HEAD_TOO_LARGE, "header fields larger than " + maxHeaderSize + " bytes");
                return;
            }
            if (lf < 0) {
                scanned = end - start;
                return;
            }
            int lineFrom = start + lineStart;
            boolean empty = lf == lineFrom || lf == lineFrom + 1 && in.getByte(lineFrom) == '\r';
            if (!startLineDone) {
                startLineDone = true;
                firstLineLength = lf + 1 - start;
            } else if (empty) {
                emitHead(in, out, start, lf + 1 - start);
                return;
            }
            from = lf + 1;
            lineStart = from - start;
        }
    }

    private void emitHead(ByteBuf in, List<Object> out, int start, int length) {
        scanned = 0;
        lineStart = 0;
        startLineDone = false;
        firstLineLength = 0;
        // The head emitted last, once its reader has released it, takes the next one: no garbage per message.
        HttpHead head = spare != null && spare.claim() ? spare : new HttpHead();
        try {
            head.read(in.retainedSlice(start, length), requests);
            spare = head;
        } catch (HttpHead.MalformedHeadException e) {
            fail(in, out, Kind.MALFORMED, e.getMessage());
            return;
        }
        in.readerIndex(start + length);
        out.add(head);
        if (requests) {
            if (head.chunked) {
                startChunked();
            } else if (head.contentLength > 0) {
                startLength(head.contentLength);
            } else {
                out.add(BodyPart.EMPTY_LAST);
            }
            return;
        }
        int status = head.status;
        if (status < 200) {
            out.add(BodyPart.EMPTY_LAST);
            if (status == 101) {
                state = State.RAW;
            }
            return;
        }
        boolean noBody = headRequest || status == 204 || status == 304;
        headRequest = false;
        if (noBody || !head.chunked && head.contentLength == 0) {
            out.add(BodyPart.EMPTY_LAST);
        } else if (head.chunked) {
            startChunked();
        } else if (head.contentLength > 0) {
            startLength(head.contentLength);
        } else {
            state = State.UNTIL_CLOSE;
        }
    }

    private void startChunked() {
        chunks = new ChunkedBody(maxHeaderSize);
        state = State.CHUNKED;
    }

    private void startLength(long length) {
        remaining = length;
        state = State.LENGTH;
    }

    private void fail(ByteBuf in, List<Object> out, Kind kind, String reason) {
        state = State.ENDED;
        in.skipBytes(in.readableBytes());
        out.add(new HttpDecodeFailure(kind, reason));
    }

    /** Whether a close-delimited body is being read (the connection cannot be reused). */
    boolean readingUntilClose() {
        return state == State.UNTIL_CLOSE;
    }
}
