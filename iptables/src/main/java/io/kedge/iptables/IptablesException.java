package io.kedge.iptables;

/**
 * iptables could not be read or changed. The message is meant for an operator as is; {@link #kind()}
 * tells callers what went wrong without parsing it.
 */
public class IptablesException extends RuntimeException {
    /** What went wrong. */
    public enum Kind {
        /** The iptables tools are missing. */
        NOT_INSTALLED,
        /** The process lacks root / CAP_NET_ADMIN. */
        PERMISSION,
        /** iptables-restore rejected a line of the input; nothing of the transaction was applied. */
        REJECTED,
        /** iptables-save printed something that is not save output. */
        BAD_OUTPUT,
        /** The rules still differed from the desired ones after repeated applies (another tool keeps changing them). */
        NOT_CONVERGED,
        /** Anything else: a timeout, an unexpected exit. */
        FAILED
    }

    private final Kind kind;
    private final int lineNumber;
    private final String line;

    public IptablesException(Kind kind, String message, Throwable cause) {
        this(kind, message, 0, null, cause);
    }

    public IptablesException(Kind kind, String message, int lineNumber, String line, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.lineNumber = lineNumber;
        this.line = line;
    }

    /** {@code tool} is not there; the message says how to get it. */
    public static IptablesException notInstalled(String tool) {
        return new IptablesException(Kind.NOT_INSTALLED, tool + " is not installed or not on PATH: install the iptables package", null);
    }

    /** {@code tool} was denied; {@code detail} is what it said. */
    public static IptablesException permission(String tool, String detail) {
        return new IptablesException(Kind.PERMISSION, tool + " needs root / CAP_NET_ADMIN"
                + (detail == null || detail.isBlank() ? "" : ": " + detail), null);
    }

    /** {@code tool} rejected line {@code number} ({@code text}) of its input because of {@code reason}. */
    public static IptablesException rejected(String tool, int number, String text, String reason) {
        return new IptablesException(Kind.REJECTED, tool + " rejected line " + number + " `" + text + "`"
                + (reason == null || reason.isBlank() ? "" : ": " + reason) + " (nothing of this transaction was applied)", number, text, null);
    }

    public Kind kind() {
        return kind;
    }

    /** For {@link Kind#REJECTED}: the 1-based number of the rejected input line, else 0. */
    public int lineNumber() {
        return lineNumber;
    }

    /** For {@link Kind#REJECTED}: the rejected input line, else null. */
    public String line() {
        return line;
    }
}
