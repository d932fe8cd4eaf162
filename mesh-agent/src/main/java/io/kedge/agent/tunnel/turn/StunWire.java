package io.kedge.agent.tunnel.turn;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client's side of the STUN wire format (RFC 8489 sections 5 and 14) for the few TURN
 * messages it exchanges (RFC 8656): requests with long-term-credential MESSAGE-INTEGRITY, responses
 * and Data indications decoded strictly (a message that does not add up is an error, never an
 * out-of-bounds read), and ChannelData framing padded to four bytes as TCP and TLS require.
 */
final class StunWire {
    static final int MAGIC_COOKIE = 0x2112A442;
    static final int HEADER_LENGTH = 20;
    static final int MAX_ATTRIBUTES = 64;

    static final int ALLOCATE = 0x003;
    static final int REFRESH = 0x004;
    static final int SEND = 0x006;
    static final int DATA = 0x007;
    static final int CREATE_PERMISSION = 0x008;
    static final int CHANNEL_BIND = 0x009;

    static final int REQUEST = 0;
    static final int INDICATION = 1;
    static final int SUCCESS = 2;
    static final int ERROR = 3;

    static final int USERNAME = 0x0006;
    static final int MESSAGE_INTEGRITY = 0x0008;
    static final int ERROR_CODE = 0x0009;
    static final int CHANNEL_NUMBER = 0x000C;
    static final int LIFETIME = 0x000D;
    static final int XOR_PEER_ADDRESS = 0x0012;
    static final int DATA_VALUE = 0x0013;
    static final int REALM = 0x0014;
    static final int NONCE = 0x0015;
    static final int XOR_RELAYED_ADDRESS = 0x0016;
    static final int REQUESTED_TRANSPORT = 0x0019;
    static final int XOR_MAPPED_ADDRESS = 0x0020;

    /** IANA protocol number of UDP, the only relayed transport asked for. */
    static final int TRANSPORT_UDP = 17;

    private StunWire() {
    }

    static int messageType(int method, int cls) {
        return (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7);
    }

    static int methodOf(int type) {
        return (type & 0x000F) | ((type & 0x00E0) >>> 1) | ((type & 0x3E00) >>> 2);
    }

    static int classOf(int type) {
        return ((type & 0x0010) >>> 4) | ((type & 0x0100) >>> 7);
    }

    /** The long-term credential key: MD5(username ":" realm ":" password) (RFC 8489 section 9.2.2). */
    static byte[] longTermKey(String username, String realm, String password) {
        try {
            return MessageDigest.getInstance("MD5").digest((username + ":" + realm + ":" + password).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("MD5 unavailable", e);
        }
    }

    /** A decoded STUN message: its method, class, transaction id and attributes (the first of each type). */
    record Message(int method, int cls, byte[] transactionId, Map<Integer, byte[]> attributes) {
        byte[] value(int type) {
            return attributes.get(type);
        }

        String string(int type) {
            byte[] v = attributes.get(type);
            return v == null ? null : new String(v, StandardCharsets.UTF_8);
        }

        /** The error code of an error response, or 0 when there is none or it is malformed. */
        int errorCode() {
            byte[] v = attributes.get(ERROR_CODE);
            if (v == null || v.length < 4) {
                return 0;
            }
            return (v[2] & 0x07) * 100 + (v[3] & 0xFF);
        }

        /** LIFETIME in seconds, or -1. */
        long lifetime() {
            byte[] v = attributes.get(LIFETIME);
            if (v == null || v.length != 4) {
                return -1;
            }
            return ((v[0] & 0xFFL) << 24) | ((v[1] & 0xFFL) << 16) | ((v[2] & 0xFFL) << 8) | (v[3] & 0xFFL);
        }

        /** An XOR-*-ADDRESS attribute (IPv4 only), or null when absent or malformed. */
        InetSocketAddress xorAddress(int type) {
            byte[] v = attributes.get(type);
            if (v == null || v.length != 8 || v[1] != 0x01) {
                return null;
            }
            int port = (((v[2] & 0xFF) << 8) | (v[3] & 0xFF)) ^ (MAGIC_COOKIE >>> 16);
            byte[] ip = new byte[4];
            for (int i = 0; i < 4; i++) {
                ip[i] = (byte) (v[4 + i] ^ (MAGIC_COOKIE >>> (24 - 8 * i)));
            }
            try {
                return new InetSocketAddress(InetAddress.getByAddress(ip), port);
            } catch (UnknownHostException e) {
                return null;
            }
        }
    }

    /** Builds one outgoing message; attributes in the order added. */
    static final class Builder {
        private final int method;
        private final int cls;
        private final byte[] transactionId;
        private final List<int[]> types = new ArrayList<>();
        private final List<byte[]> values = new ArrayList<>();

        Builder(int method, int cls, byte[] transactionId) {
            if (transactionId.length != 12) {
                throw new IllegalArgumentException("a transaction id is 12 bytes");
            }
            this.method = method;
            this.cls = cls;
            this.transactionId = transactionId;
        }

        Builder add(int type, byte[] value) {
            if (value.length > 0xFFFF - 4) {
                throw new IllegalArgumentException("attribute 0x" + Integer.toHexString(type) + " too long");
            }
            types.add(new int[] {type});
            values.add(value);
            return this;
        }

        Builder add(int type, String value) {
            return add(type, value.getBytes(StandardCharsets.UTF_8));
        }

        Builder addInt(int type, int value) {
            return add(type, new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
        }

        Builder addXorAddress(int type, InetSocketAddress address) {
            if (!(address.getAddress() instanceof Inet4Address)) {
                throw new IllegalArgumentException("only IPv4 peers: " + address);
            }
            byte[] ip = address.getAddress().getAddress();
            int port = address.getPort() ^ (MAGIC_COOKIE >>> 16);
            byte[] v = new byte[8];
            v[1] = 0x01;
            v[2] = (byte) (port >>> 8);
            v[3] = (byte) port;
            for (int i = 0; i < 4; i++) {
                v[4 + i] = (byte) (ip[i] ^ (MAGIC_COOKIE >>> (24 - 8 * i)));
            }
            return add(type, v);
        }

        /** The encoded message; with {@code key}, MESSAGE-INTEGRITY (HMAC-SHA1) over everything before it comes last. */
        ByteBuf encode(ByteBufAllocator alloc, byte[] key) {
            int body = 0;
            for (byte[] v : values) {
                body += 4 + padded(v.length);
            }
            int total = body + (key == null ? 0 : 24);
            ByteBuf out = alloc.buffer(HEADER_LENGTH + total);
            out.writeShort(messageType(method, cls)).writeShort(total).writeInt(MAGIC_COOKIE).writeBytes(transactionId);
            for (int i = 0; i < values.size(); i++) {
                byte[] v = values.get(i);
                out.writeShort(types.get(i)[0]).writeShort(v.length).writeBytes(v).writeZero(padded(v.length) - v.length);
            }
            if (key != null) {
                // The header's length already counts MESSAGE-INTEGRITY, as the HMAC input requires.
                byte[] covered = new byte[out.readableBytes()];
                out.getBytes(out.readerIndex(), covered);
                out.writeShort(MESSAGE_INTEGRITY).writeShort(20).writeBytes(hmacSha1(key, covered));
            }
            return out;
        }
    }

    static int padded(int length) {
        return (length + 3) & ~3;
    }

    static byte[] hmacSha1(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA1 unavailable", e);
        }
    }

    /** Decodes exactly one STUN message from the readable bytes of {@code frame} (not consumed). */
    static Message decode(ByteBuf frame) throws TurnException {
        int at = frame.readerIndex();
        int n = frame.readableBytes();
        if (n < HEADER_LENGTH) {
            throw new TurnException("STUN message shorter than its header (" + n + " bytes)");
        }
        int type = frame.getUnsignedShort(at);
        if ((type & 0xC000) != 0) {
            throw new TurnException("not a STUN message (first bits set)");
        }
        int length = frame.getUnsignedShort(at + 2);
        if (frame.getInt(at + 4) != MAGIC_COOKIE) {
            throw new TurnException("STUN message without the magic cookie");
        }
        if (HEADER_LENGTH + length != n || (length & 3) != 0) {
            throw new TurnException("STUN length " + length + " does not match the " + (n - HEADER_LENGTH) + " bytes that follow");
        }
        byte[] transactionId = new byte[12];
        frame.getBytes(at + 8, transactionId);
        Map<Integer, byte[]> attributes = new HashMap<>();
        int p = at + HEADER_LENGTH;
        int end = at + n;
        int count = 0;
        while (p < end) {
            if (end - p < 4) {
                throw new TurnException("truncated attribute header");
            }
            if (++count > MAX_ATTRIBUTES) {
                throw new TurnException("more than " + MAX_ATTRIBUTES + " attributes");
            }
            int attrType = frame.getUnsignedShort(p);
            int attrLength = frame.getUnsignedShort(p + 2);
            if (p + 4 + attrLength > end) {
                throw new TurnException("attribute 0x" + Integer.toHexString(attrType) + " runs past the message");
            }
            byte[] value = new byte[attrLength];
            frame.getBytes(p + 4, value);
            attributes.putIfAbsent(attrType, value);
            p += 4 + padded(attrLength);
        }
        return new Message(methodOf(type), classOf(type), transactionId, attributes);
    }

    /** One ChannelData message (RFC 8656 section 12.4), padded to a multiple of four bytes for a stream. */
    static ByteBuf channelData(ByteBufAllocator alloc, int channel, ByteBuf payload) {
        int length = payload.readableBytes();
        ByteBuf out = alloc.buffer(4 + padded(length));
        out.writeShort(channel).writeShort(length).writeBytes(payload).writeZero(padded(length) - length);
        return out;
    }
}
