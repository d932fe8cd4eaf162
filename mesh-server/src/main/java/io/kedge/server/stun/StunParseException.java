package io.kedge.server.stun;

/**
 * Bytes that are not a well-formed STUN message, or an attribute whose value is malformed. Checked,
 * so that every caller decides deliberately between dropping the packet and answering 400.
 */
public final class StunParseException extends Exception {
    public StunParseException(String message) {
        super(message, null, false, false);
    }
}
