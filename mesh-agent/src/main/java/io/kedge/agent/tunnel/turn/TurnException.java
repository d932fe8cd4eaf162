package io.kedge.agent.tunnel.turn;

import java.io.IOException;

/** A TURN exchange that failed: a malformed message, an error response, a timeout or a lost connection. */
public final class TurnException extends IOException {
    public TurnException(String message) {
        super(message);
    }
}
