package io.kedge.server.testing;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Address literals for tests. */
public final class Net {
    private Net() {
    }

    /** The address written as a literal (no name lookup happens for literals). */
    public static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
