package io.kedge.agent.tunnel;

import io.kedge.agent.catalog.Protocol;
import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * The first bytes of every tunnel stream, from the opening agent: magic "KT", version 1, protocol
 * (0 TCP, 1 UDP, 2 a probe: {@link #PROBE}), an IPv4 target address and port (10 bytes). The receiving agent answers with one
 * status byte (0 connected, 1 refused, 2 dial failed), a 2-byte length and a UTF-8 reason; only
 * after "connected" does the stream carry the connection's bytes (TCP) or 2-byte length-framed
 * datagrams (UDP).
 */
final class StreamHeader {
    static final int LENGTH = 10;
    static final byte OK = 0;
    static final byte REFUSED = 1;
    static final byte DIAL_FAILED = 2;
    static final int MAX_REASON = 512;

    private StreamHeader() {
    }

    record Target(Protocol protocol, InetSocketAddress address) {
    }

    /**
     * A probe (protocol byte 2, address 0.0.0.0:0): the receiving agent answers "connected" and
     * closes. It tells the opener that the receiver accepted its certificate, which a TLS 1.3 client
     * cannot tell from its own handshake (the server judges the client's certificate after the
     * client finished).
     */
    static final Target PROBE = new Target(null, new InetSocketAddress(0));

    static void writeProbe(ByteBuf out) {
        out.writeByte('K').writeByte('T').writeByte(1).writeByte(2).writeInt(0).writeShort(0);
    }

    static void write(ByteBuf out, Protocol protocol, InetSocketAddress target) {
        byte[] ip = target.getAddress().getAddress();
        if (ip.length != 4) {
            throw new IllegalArgumentException("tunnel targets are IPv4: " + target);
        }
        out.writeByte('K').writeByte('T').writeByte(1).writeByte(protocol == Protocol.UDP ? 1 : 0).writeBytes(ip)
                .writeShort(target.getPort());
    }

    /** Reads a header from {@code in} (which holds at least {@link #LENGTH} bytes); null if it is not one. */
    static Target read(ByteBuf in) {
        if (in.readByte() != 'K' || in.readByte() != 'T' || in.readByte() != 1) {
            return null;
        }
        byte proto = in.readByte();
        byte[] ip = new byte[4];
        in.readBytes(ip);
        int port = in.readUnsignedShort();
        if (proto == 2 && port == 0) {
            return PROBE;
        }
        if ((proto != 0 && proto != 1) || port == 0) {
            return null;
        }
        try {
            return new Target(proto == 1 ? Protocol.UDP : Protocol.TCP, new InetSocketAddress(InetAddress.getByAddress(ip), port));
        } catch (UnknownHostException e) {
            return null;
        }
    }

    static void writeStatus(ByteBuf out, byte status, String reason) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, MAX_REASON);
        out.writeByte(status).writeShort(n).writeBytes(text, 0, n);
    }
}
