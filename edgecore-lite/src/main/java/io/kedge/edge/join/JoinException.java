package io.kedge.edge.join;

/** Joining failed; the message says why and what to fix. */
public class JoinException extends Exception {
    public JoinException(String message) {
        super(message);
    }
}
