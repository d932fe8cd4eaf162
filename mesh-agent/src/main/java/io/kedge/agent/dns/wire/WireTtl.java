package io.kedge.agent.dns.wire;

import org.xbill.DNS.Type;

/**
 * Rewrites the TTL of every record in a message already in wire format. dnsjava records are
 * immutable with respect to TTL, and patching the encoded bytes once is cheaper than rebuilding
 * every record of a cached answer for each client.
 */
public final class WireTtl {
    private static final int HEADER = 12;

    private WireTtl() {
    }

    /**
     * Applies {@code clamp} to every record but OPT (whose TTL field carries EDNS flags) in
     * {@code wire}, in place. Returns false, leaving the rest untouched, if the bytes do not walk as
     * a message (only possible for input this class did not get from dnsjava).
     */
    public static boolean apply(byte[] wire, TtlClamp clamp) {
        if (wire.length < HEADER) {
            return false;
        }
        int questions = u16(wire, 4);
        int records = u16(wire, 6) + u16(wire, 8) + u16(wire, 10);
        int at = HEADER;
        try {
            for (int i = 0; i < questions; i++) {
                at = skipName(wire, at) + 4;
            }
            for (int i = 0; i < records; i++) {
                at = skipName(wire, at);
                int type = u16(wire, at);
                int ttlAt = at + 4;
                int rdLength = u16(wire, at + 8);
                if (type != Type.OPT) {
                    long ttl = ((long) u16(wire, ttlAt) << 16) | u16(wire, ttlAt + 2);
                    long next = clamp.apply(ttl);
                    wire[ttlAt] = (byte) (next >>> 24);
                    wire[ttlAt + 1] = (byte) (next >>> 16);
                    wire[ttlAt + 2] = (byte) (next >>> 8);
                    wire[ttlAt + 3] = (byte) next;
                }
                at += 10 + rdLength;
                if (at > wire.length) {
                    return false;
                }
            }
            return true;
        } catch (ArrayIndexOutOfBoundsException e) {
            return false;
        }
    }

    /** The offset just past the (possibly compressed) name starting at {@code at}. */
    private static int skipName(byte[] wire, int at) {
        while (true) {
            int len = wire[at] & 0xFF;
            if (len == 0) {
                return at + 1;
            }
            if ((len & 0xC0) == 0xC0) {
                return at + 2;
            }
            if ((len & 0xC0) != 0) {
                throw new ArrayIndexOutOfBoundsException("bad label type at " + at);
            }
            at += 1 + len;
        }
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }
}
