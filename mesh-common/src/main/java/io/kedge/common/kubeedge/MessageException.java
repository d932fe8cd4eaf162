package io.kedge.common.kubeedge;

/** A frame that is not a valid message; the reason is fit to send back to the peer or log. */
public class MessageException extends Exception {
    public MessageException(String reason) {
        super(reason);
    }

    public MessageException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
