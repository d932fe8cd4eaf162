package io.kedge.common.signaling;

/** A signaling frame that is not a valid message; the text says what is wrong with it. */
public final class SignalException extends Exception {
    public SignalException(String message) {
        super(message);
    }
}
