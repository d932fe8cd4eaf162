package io.kedge.server.stun;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The STUN wire format (RFC 8489 sections 5, 14.5, 14.6, 14.7): strict decoding, and encoding with
 * MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT computed over exactly the bytes that precede them.
 */
public final class StunCodec {
    /** Attributes beyond this count make a message malformed: nothing legitimate sends that many. */
    public static final int MAX_ATTRIBUTES = 128;
    static final int FINGERPRINT_XOR = 0x5354554E;
    private static final int SHA1_LENGTH = 20;
    private static final int SHA256_LENGTH = 32;

    private StunCodec() {
    }

    /** Whether the readable bytes start like a STUN message: top two bits zero and the magic cookie. */
    public static boolean looksLikeStun(ByteBuf buf) {
        int i = buf.readerIndex();
        return buf.readableBytes() >= StunMessage.HEADER_LENGTH && (buf.getByte(i) & 0xC0) == 0
                && buf.getInt(i + 4) == StunMessage.MAGIC_COOKIE;
    }

    /** The method encoded in a 16-bit message type (its class bits removed). */
    public static int methodOf(int messageType) {
        return (messageType & 0x000F) | ((messageType & 0x00E0) >>> 1) | ((messageType & 0x3E00) >>> 2);
    }

    /** The class encoded in a 16-bit message type. */
    public static StunClass classOf(int messageType) {
        return StunClass.of(((messageType & 0x0010) >>> 4) | ((messageType & 0x0100) >>> 7));
    }

    /** Decodes the readable bytes of {@code buf} (without consuming them) as one whole message. */
    public static StunMessage decode(ByteBuf buf) throws StunParseException {
        byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        return decodeOwned(bytes);
    }

    public static StunMessage decode(byte[] data, int offset, int length) throws StunParseException {
        if (offset < 0 || length < 0 || offset + length > data.length) {
            throw new StunParseException("range outside the buffer");
        }
        return decodeOwned(Arrays.copyOfRange(data, offset, offset + length));
    }

    /** Decodes {@code raw}, which must be exactly one message and is kept (not copied). */
    private static StunMessage decodeOwned(byte[] raw) throws StunParseException {
        if (raw.length < StunMessage.HEADER_LENGTH) {
            throw new StunParseException("shorter than a STUN header (" + raw.length + " bytes)");
        }
        if ((raw[0] & 0xC0) != 0) {
            throw new StunParseException("first two bits are not zero");
        }
        int messageType = u16(raw, 0);
        int bodyLength = u16(raw, 2);
        if (u32(raw, 4) != StunMessage.MAGIC_COOKIE) {
            throw new StunParseException("no magic cookie (RFC 3489 messages are not supported)");
        }
        if ((bodyLength & 3) != 0) {
            throw new StunParseException("length " + bodyLength + " is not a multiple of 4");
        }
        if (StunMessage.HEADER_LENGTH + bodyLength != raw.length) {
            throw new StunParseException("length field says " + bodyLength + " but " + (raw.length - StunMessage.HEADER_LENGTH)
                    + " bytes follow the header");
        }
        int method = methodOf(messageType);
        StunClass type = classOf(messageType);
        byte[] transactionId = Arrays.copyOfRange(raw, 8, 20);

        List<StunMessage.Attribute> attributes = new ArrayList<>();
        int integrity = -1;
        int integritySha256 = -1;
        boolean fingerprint = false;
        int pos = StunMessage.HEADER_LENGTH;
        int count = 0;
        while (pos < raw.length) {
            if (raw.length - pos < 4) {
                throw new StunParseException("truncated attribute header at offset " + pos);
            }
            int attributeType = u16(raw, pos);
            int valueLength = u16(raw, pos + 2);
            int next = pos + 4 + padded(valueLength);
            if (next > raw.length) {
                throw new StunParseException(AttributeType.name(attributeType) + " at offset " + pos + " runs past the end");
            }
            if (++count > MAX_ATTRIBUTES) {
                throw new StunParseException("more than " + MAX_ATTRIBUTES + " attributes");
            }
            if (fingerprint) {
                throw new StunParseException("attribute after FINGERPRINT");
            }
            switch (attributeType) {
                case AttributeType.FINGERPRINT -> {
                    if (valueLength != 4) {
                        throw new StunParseException("FINGERPRINT must be 4 bytes");
                    }
                    if (u32(raw, pos + 4) != fingerprintOf(raw, pos)) {
                        throw new StunParseException("FINGERPRINT does not match");
                    }
                    fingerprint = true;
                }
                case AttributeType.MESSAGE_INTEGRITY -> {
                    if (valueLength != SHA1_LENGTH) {
                        throw new StunParseException("MESSAGE-INTEGRITY must be 20 bytes");
                    }
                    if (integrity < 0 && integritySha256 < 0) {
                        integrity = pos;
                    }
                }
                case AttributeType.MESSAGE_INTEGRITY_SHA256 -> {
                    if (valueLength < 16 || valueLength > SHA256_LENGTH || (valueLength & 3) != 0) {
                        throw new StunParseException("MESSAGE-INTEGRITY-SHA256 must be 16 to 32 bytes, a multiple of 4");
                    }
                    if (integritySha256 < 0) {
                        integritySha256 = pos;
                    }
                }
                default -> {
                    // Attributes after MESSAGE-INTEGRITY are not covered by it: ignored (RFC 8489 14.5).
                    if (integrity < 0 && integritySha256 < 0) {
                        attributes.add(new StunMessage.Attribute(attributeType, Arrays.copyOfRange(raw, pos + 4, pos + 4 + valueLength)));
                    }
                }
            }
            pos = next;
        }
        return new StunMessage(method, type, transactionId, attributes, raw, integrity, integritySha256);
    }

    /** Encodes without integrity or fingerprint. */
    public static byte[] encode(StunMessage message) {
        return encode(message, null, false, 0);
    }

    /** Encodes, signing with {@code key} when it is not null and appending FINGERPRINT if asked. */
    public static byte[] encode(StunMessage message, IntegrityKey key, boolean fingerprint) {
        return encode(message, key, fingerprint, 0);
    }

    /**
     * Encodes with {@code paddingByte} in the padding after values whose length is not a multiple of
     * four (any value is allowed; RFC 5769's test vectors use spaces).
     */
    public static byte[] encode(StunMessage message, IntegrityKey key, boolean fingerprint, int paddingByte) {
        int length = StunMessage.HEADER_LENGTH;
        for (StunMessage.Attribute a : message.attributes()) {
            length += 4 + padded(a.value().length);
        }
        int integrityLength = key == null ? 0 : key.sha256() ? 4 + SHA256_LENGTH : 4 + SHA1_LENGTH;
        int total = length + integrityLength + (fingerprint ? 8 : 0);
        if (total - StunMessage.HEADER_LENGTH > 0xFFFF) {
            throw new IllegalArgumentException("message too long: " + total + " bytes");
        }
        byte[] out = new byte[total];
        put16(out, 0, messageType(message.method(), message.type()));
        put32(out, 4, StunMessage.MAGIC_COOKIE);
        System.arraycopy(message.transactionIdRaw(), 0, out, 8, StunMessage.TRANSACTION_ID_LENGTH);
        int pos = StunMessage.HEADER_LENGTH;
        for (StunMessage.Attribute a : message.attributes()) {
            byte[] v = a.value();
            put16(out, pos, a.type());
            put16(out, pos + 2, v.length);
            System.arraycopy(v, 0, out, pos + 4, v.length);
            Arrays.fill(out, pos + 4 + v.length, pos + 4 + padded(v.length), (byte) paddingByte);
            pos += 4 + padded(v.length);
        }
        if (key != null) {
            // The length field covers the message up to and including the integrity attribute.
            put16(out, 2, pos + integrityLength - StunMessage.HEADER_LENGTH);
            byte[] mac = hmac(key.raw(), key.sha256(), out, pos);
            put16(out, pos, key.sha256() ? AttributeType.MESSAGE_INTEGRITY_SHA256 : AttributeType.MESSAGE_INTEGRITY);
            put16(out, pos + 2, mac.length);
            System.arraycopy(mac, 0, out, pos + 4, mac.length);
            pos += integrityLength;
        }
        put16(out, 2, total - StunMessage.HEADER_LENGTH);
        if (fingerprint) {
            put16(out, pos, AttributeType.FINGERPRINT);
            put16(out, pos + 2, 4);
            put32(out, pos + 4, fingerprintOf(out, pos));
        }
        return out;
    }

    /**
     * Writes a Data indication (RFC 8656 section 11.4) carrying {@code data} from {@code peer}
     * straight into {@code out}: the relaying path for peers without a channel, so no intermediate
     * message object or copy of the data is made.
     */
    public static void writeDataIndication(ByteBuf out, byte[] transactionId, InetSocketAddress peer, ByteBuf data) {
        byte[] address = StunMessage.encodeAddress(peer, transactionId, true);
        int dataLength = data.readableBytes();
        int bodyLength = 4 + address.length + 4 + padded(dataLength);
        out.writeShort(messageType(StunMethod.DATA, StunClass.INDICATION));
        out.writeShort(bodyLength);
        out.writeInt(StunMessage.MAGIC_COOKIE);
        out.writeBytes(transactionId);
        out.writeShort(AttributeType.XOR_PEER_ADDRESS);
        out.writeShort(address.length);
        out.writeBytes(address);
        out.writeShort(AttributeType.DATA);
        out.writeShort(dataLength);
        out.writeBytes(data, data.readerIndex(), dataLength);
        out.writeZero(padded(dataLength) - dataLength);
    }

    /** Bytes {@link #writeDataIndication} writes. */
    public static int dataIndicationLength(InetSocketAddress peer, int dataLength) {
        int address = peer.getAddress().getAddress().length + 4;
        return StunMessage.HEADER_LENGTH + 4 + address + 4 + padded(dataLength);
    }

    static int messageType(int method, StunClass type) {
        return (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
                | ((type.bits() & 1) << 4) | ((type.bits() & 2) << 7);
    }

    /** The long-term credential key: MD5(username ":" realm ":" password) (RFC 8489 section 9.2.2). */
    public static byte[] longTermKey(String username, String realm, String password) {
        try {
            return MessageDigest.getInstance("MD5").digest((username + ":" + realm + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("MD5 unavailable", e);
        }
    }

    /** Checks the integrity attribute starting at {@code offset} of a received message. */
    static boolean integrityMatches(byte[] raw, int offset, byte[] key, boolean sha256) {
        int valueLength = u16(raw, offset + 2);
        // HMAC input: everything before the attribute, with the length field ending at the attribute's end.
        byte[] input = Arrays.copyOf(raw, offset);
        put16(input, 2, offset + 4 + valueLength - StunMessage.HEADER_LENGTH);
        byte[] mac = hmac(key, sha256, input, offset);
        byte[] received = Arrays.copyOfRange(raw, offset + 4, offset + 4 + valueLength);
        return MessageDigest.isEqual(Arrays.copyOf(mac, valueLength), received);
    }

    private static byte[] hmac(byte[] key, boolean sha256, byte[] data, int length) {
        String algorithm = sha256 ? "HmacSHA256" : "HmacSHA1";
        try {
            Mac mac = Mac.getInstance(algorithm);
            // An empty key is legal for STUN but not for SecretKeySpec; HMAC pads keys with zeros anyway.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, algorithm));
            mac.update(data, 0, length);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " unavailable", e);
        }
    }

    /** CRC-32 of the message up to {@code offset} with the length field covering a FINGERPRINT there. */
    private static int fingerprintOf(byte[] raw, int offset) {
        CRC32 crc = new CRC32();
        crc.update(raw, 0, 2);
        int length = offset + 8 - StunMessage.HEADER_LENGTH;
        crc.update(new byte[] {(byte) (length >>> 8), (byte) length});
        crc.update(raw, 4, offset - 4);
        return (int) crc.getValue() ^ FINGERPRINT_XOR;
    }

    static int padded(int length) {
        return (length + 3) & ~3;
    }

    static int u16(byte[] b, int i) {
        return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }

    static int u32(byte[] b, int i) {
        return ((b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
    }

    static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static void put32(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }
}
