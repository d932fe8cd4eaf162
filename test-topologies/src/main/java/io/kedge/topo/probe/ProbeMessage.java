package io.kedge.topo.probe;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * The NAT probe's wire format (UDP; RFC 5780 in spirit, deliberately not STUN so that it cannot be
 * confused with the product's own STUN service).
 *
 * <pre>
 * request : "KTNP" | 1 | flags | txid(8)                                   (14 bytes)
 * response: "KTNP" | 2 | flags | txid(8) | mapped ip(4) port(2) | from ip(4) port(2)   (26 bytes)
 * flags   : 1 = answer from the other address, 2 = answer from the other port
 * </pre>
 */
public record ProbeMessage(int type, int flags, long txid, InetSocketAddress mapped, InetSocketAddress from) {
    static final int MAGIC = 0x4b544e50; // "KTNP"
    static final int REQUEST = 1;
    static final int RESPONSE = 2;
    public static final int CHANGE_IP = 1;
    public static final int CHANGE_PORT = 2;
    static final int REQUEST_LENGTH = 14;
    static final int RESPONSE_LENGTH = 26;

    public static ProbeMessage request(int flags, long txid) {
        return new ProbeMessage(REQUEST, flags, txid, null, null);
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(type == REQUEST ? REQUEST_LENGTH : RESPONSE_LENGTH);
        b.putInt(MAGIC).put((byte) type).put((byte) flags).putLong(txid);
        if (type == RESPONSE) {
            put(b, mapped);
            put(b, from);
        }
        return b.array();
    }

    /** Parses a datagram; returns null for anything that is not a well-formed probe message. */
    public static ProbeMessage decode(byte[] data, int length) {
        if (length != REQUEST_LENGTH && length != RESPONSE_LENGTH) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(data, 0, length);
        if (b.getInt() != MAGIC) {
            return null;
        }
        int type = b.get();
        int flags = b.get() & 0xff;
        long txid = b.getLong();
        if (type == REQUEST && length == REQUEST_LENGTH && (flags & ~(CHANGE_IP | CHANGE_PORT)) == 0) {
            return new ProbeMessage(type, flags, txid, null, null);
        }
        if (type == RESPONSE && length == RESPONSE_LENGTH) {
            return new ProbeMessage(type, flags, txid, get(b), get(b));
        }
        return null;
    }

    private static void put(ByteBuffer b, InetSocketAddress a) {
        b.put(a.getAddress().getAddress()).putShort((short) a.getPort());
    }

    private static InetSocketAddress get(ByteBuffer b) {
        byte[] ip = new byte[4];
        b.get(ip);
        int port = b.getShort() & 0xffff;
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen for 4 bytes
        }
    }

    static boolean isIpv4(InetAddress a) {
        return a instanceof Inet4Address;
    }
}
