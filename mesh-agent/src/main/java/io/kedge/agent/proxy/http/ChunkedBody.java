package io.kedge.agent.proxy.http;

import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * Walks a chunked body (RFC 9112 section 7.1) just far enough to know where it ends, without
 * copying it: the chunk-size lines and the trailer section are read byte by byte, chunk data is
 * skipped in bulk. Optionally it also hands out the chunk data alone (for HTTP/1.0 clients, which
 * cannot read chunks). Size lines and trailers are bounded, so garbage cannot grow memory.
 */
final class ChunkedBody {
    private static final int MAX_SIZE_LINE = 4096;

    private enum State { SIZE, EXTENSION, SIZE_LF, DATA, DATA_CR, DATA_LF, TRAILER_START, TRAILER, END_LF, DONE }

    private final int maxTrailerBytes;
    private State state = State.SIZE;
    private long remaining;
    private int digits;
    private int lineBytes;
    private int trailerBytes;

    /** Thrown on framing that is not chunked encoding. */
    static final class MalformedChunkException extends Exception {
        MalformedChunkException(String message) {
            super(message);
        }
    }

    ChunkedBody(int maxTrailerBytes) {
        this.maxTrailerBytes = maxTrailerBytes;
    }

    /** Whether the last chunk and the trailer section have been seen. */
    boolean done() {
        return state == State.DONE;
    }

    /**
     * Reads {@code buf} from {@code from} (absolute index) up to {@code to}, stopping at the end of
     * the body.
     *
     * @param data when not null, receives retained slices of the chunk data found
     * @return how many bytes belong to the body
     */
    int walk(ByteBuf buf, int from, int to, List<ByteBuf> data) throws MalformedChunkException {
        int i = from;
        while (i < to && state != State.DONE) {
            if (state == State.DATA) {
                int n = (int) Math.min(remaining, to - i);
                if (data != null) {
                    data.add(buf.retainedSlice(i, n));
                }
                i += n;
                remaining -= n;
                if (remaining == 0) {
                    state = State.DATA_CR;
                }
                continue;
            }
            step(buf.getByte(i++));
        }
        return i - from;
    }

    private void step(byte b) throws MalformedChunkException {
        switch (state) {
            case SIZE -> {
                int d = Character.digit(b, 16);
                if (d >= 0) {
                    if (++digits > 15) {
                        throw new MalformedChunkException("chunk size too large");
                    }
                    remaining = remaining << 4 | d;
                } else if (digits == 0) {
                    throw new MalformedChunkException("chunk size expected, got byte " + (b & 0xff));
                } else if (b == ';' || b == ' ' || b == '\t') {
                    state = State.EXTENSION;
                } else if (b == '\r') {
                    state = State.SIZE_LF;
                } else if (b == '\n') {
                    sizeLineEnd();
                } else {
                    throw new MalformedChunkException("bad character in chunk size: " + (b & 0xff));
                }
            }
            case EXTENSION -> {
                if (++lineBytes > MAX_SIZE_LINE) {
                    throw new MalformedChunkException("chunk extension too long");
                }
                if (b == '\n') {
                    sizeLineEnd();
                }
            }
            case SIZE_LF -> {
                expect(b, '\n');
                sizeLineEnd();
            }
            case DATA_CR -> {
                if (b == '\n') {
                    state = State.SIZE;
                } else {
                    expect(b, '\r');
                    state = State.DATA_LF;
                }
            }
            case DATA_LF -> {
                expect(b, '\n');
                state = State.SIZE;
            }
            case TRAILER_START -> {
                if (b == '\n') {
                    state = State.DONE;
                } else if (b == '\r') {
                    state = State.END_LF;
                } else {
                    trailerByte();
                    state = State.TRAILER;
                }
            }
            case TRAILER -> {
                trailerByte();
                if (b == '\n') {
                    state = State.TRAILER_START;
                }
            }
            case END_LF -> {
                expect(b, '\n');
                state = State.DONE;
            }
            default -> throw new IllegalStateException(state.toString());
        }
    }

    private void sizeLineEnd() {
        digits = 0;
        lineBytes = 0;
        if (remaining == 0) {
            state = State.TRAILER_START;
        } else {
            state = State.DATA;
        }
    }

    private void trailerByte() throws MalformedChunkException {
        if (++trailerBytes > maxTrailerBytes) {
            throw new MalformedChunkException("trailer section larger than " + maxTrailerBytes + " bytes");
        }
    }

    private static void expect(byte b, char wanted) throws MalformedChunkException {
        if (b != wanted) {
            throw new MalformedChunkException("expected " + (wanted == '\n' ? "LF" : "CR") + " in chunk framing, got byte " + (b & 0xff));
        }
    }
}
