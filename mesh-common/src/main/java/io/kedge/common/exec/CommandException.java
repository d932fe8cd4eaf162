package io.kedge.common.exec;

/** An external command could not be run, timed out, or failed where success was required. */
public class CommandException extends RuntimeException {
    private final transient CommandResult result;

    public CommandException(String message, CommandResult result, Throwable cause) {
        super(message, cause);
        this.result = result;
    }

    public CommandException(String message, Throwable cause) {
        this(message, null, cause);
    }

    /** The failed run, or null when the command never ran or never finished. */
    public CommandResult result() {
        return result;
    }
}
