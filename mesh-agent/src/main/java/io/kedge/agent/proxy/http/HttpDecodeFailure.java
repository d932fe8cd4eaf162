package io.kedge.agent.proxy.http;

/**
 * What {@link HttpMessageDecoder} passes on instead of a message it cannot read; it reads nothing
 * more from that connection afterwards.
 *
 * @param kind   which limit or rule the input broke
 * @param reason for the log and the error answer
 */
record HttpDecodeFailure(Kind kind, String reason) {
    enum Kind {
        /** The request or status line is longer than allowed. */
        LINE_TOO_LONG,
        /** The header block is larger than allowed. */
        HEAD_TOO_LARGE,
        /** Not HTTP/1.x, or framing that cannot be trusted. */
        MALFORMED
    }

    boolean tooLarge() {
        return kind != Kind.MALFORMED;
    }
}
