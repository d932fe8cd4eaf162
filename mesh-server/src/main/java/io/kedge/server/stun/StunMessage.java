package io.kedge.server.stun;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A STUN message: method, class, transaction id and attributes in wire order. Messages made by
 * {@link StunCodec#decode} keep their bytes, so that MESSAGE-INTEGRITY can be checked against
 * exactly what was received. Typed accessors validate attribute values and throw
 * {@link StunParseException} for malformed ones (which a server answers with 400).
 */
public final class StunMessage {
    public static final int MAGIC_COOKIE = 0x2112A442;
    public static final int HEADER_LENGTH = 20;
    public static final int TRANSACTION_ID_LENGTH = 12;
    static final int FAMILY_IPV4 = 0x01;
    static final int FAMILY_IPV6 = 0x02;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One attribute as it is on the wire (value without padding). */
    public record Attribute(int type, byte[] value) {
        @Override
        public String toString() {
            return AttributeType.name(type) + "(" + value.length + " bytes)";
        }
    }

    /** The value of an ERROR-CODE attribute. */
    public record ErrorValue(int code, String reason) {
    }

    private final int method;
    private final StunClass type;
    private final byte[] transactionId;
    private final List<Attribute> attributes;
    // Set only for decoded messages: the received bytes and where the integrity attributes start.
    private final byte[] raw;
    private final int integrityOffset;
    private final int integritySha256Offset;

    StunMessage(int method, StunClass type, byte[] transactionId, List<Attribute> attributes, byte[] raw,
                int integrityOffset, int integritySha256Offset) {
        this.method = method;
        this.type = type;
        this.transactionId = transactionId;
        this.attributes = List.copyOf(attributes);
        this.raw = raw;
        this.integrityOffset = integrityOffset;
        this.integritySha256Offset = integritySha256Offset;
    }

    public static Builder builder(int method, StunClass type, byte[] transactionId) {
        return new Builder(method, type, transactionId);
    }

    /** A request or indication with a fresh random transaction id. */
    public static Builder builder(int method, StunClass type) {
        byte[] id = new byte[TRANSACTION_ID_LENGTH];
        RANDOM.nextBytes(id);
        return new Builder(method, type, id);
    }

    /** A success response to {@code request} (same method and transaction id). */
    public static Builder successFor(StunMessage request) {
        return new Builder(request.method, StunClass.SUCCESS, request.transactionId);
    }

    /** An error response to {@code request} carrying ERROR-CODE. */
    public static Builder errorFor(StunMessage request, int code, String reason) {
        return new Builder(request.method, StunClass.ERROR, request.transactionId).errorCode(code, reason);
    }

    public int method() {
        return method;
    }

    public StunClass type() {
        return type;
    }

    public boolean is(int method, StunClass type) {
        return this.method == method && this.type == type;
    }

    public byte[] transactionId() {
        return transactionId.clone();
    }

    byte[] transactionIdRaw() {
        return transactionId;
    }

    public String transactionIdHex() {
        return HexFormat.of().formatHex(transactionId);
    }

    public List<Attribute> attributes() {
        return attributes;
    }

    public boolean has(int attributeType) {
        return value(attributeType) != null;
    }

    /** The first value of {@code attributeType}, or null. */
    public byte[] value(int attributeType) {
        for (Attribute a : attributes) {
            if (a.type == attributeType) {
                return a.value;
            }
        }
        return null;
    }

    public List<byte[]> values(int attributeType) {
        List<byte[]> out = new ArrayList<>(2);
        for (Attribute a : attributes) {
            if (a.type == attributeType) {
                out.add(a.value);
            }
        }
        return out;
    }

    /** Comprehension-required attributes this server does not understand (for 420 responses). */
    public int[] unknownComprehensionRequired() {
        return attributes.stream().mapToInt(Attribute::type).filter(t -> !AttributeType.understood(t)).distinct().toArray();
    }

    /** A UTF-8 text attribute (USERNAME, REALM, NONCE, SOFTWARE), or null when absent. */
    public String string(int attributeType) {
        byte[] v = value(attributeType);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    /** A 32-bit attribute (LIFETIME, PRIORITY, CHANGE-REQUEST), or null when absent. */
    public Long u32(int attributeType) throws StunParseException {
        byte[] v = value(attributeType);
        if (v == null) {
            return null;
        }
        if (v.length != 4) {
            throw new StunParseException(AttributeType.name(attributeType) + " must be 4 bytes, not " + v.length);
        }
        return ((v[0] & 0xFFL) << 24) | ((v[1] & 0xFFL) << 16) | ((v[2] & 0xFFL) << 8) | (v[3] & 0xFFL);
    }

    /** The first address of an XOR-...-ADDRESS attribute, or null when absent. */
    public InetSocketAddress xorAddress(int attributeType) throws StunParseException {
        byte[] v = value(attributeType);
        return v == null ? null : decodeAddress(attributeType, v, transactionId, true);
    }

    public List<InetSocketAddress> xorAddresses(int attributeType) throws StunParseException {
        List<InetSocketAddress> out = new ArrayList<>(2);
        for (byte[] v : values(attributeType)) {
            out.add(decodeAddress(attributeType, v, transactionId, true));
        }
        return out;
    }

    /** A plain (not XOR-ed) address attribute such as MAPPED-ADDRESS or OTHER-ADDRESS, or null. */
    public InetSocketAddress address(int attributeType) throws StunParseException {
        byte[] v = value(attributeType);
        return v == null ? null : decodeAddress(attributeType, v, transactionId, false);
    }

    public ErrorValue errorCode() throws StunParseException {
        byte[] v = value(AttributeType.ERROR_CODE);
        if (v == null) {
            return null;
        }
        if (v.length < 4) {
            throw new StunParseException("ERROR-CODE shorter than 4 bytes");
        }
        int code = (v[2] & 0x07) * 100 + (v[3] & 0xFF);
        return new ErrorValue(code, new String(v, 4, v.length - 4, StandardCharsets.UTF_8));
    }

    public boolean hasIntegrity() {
        return integrityOffset >= 0 || integritySha256Offset >= 0;
    }

    /** Whether the request used MESSAGE-INTEGRITY-SHA256 only (its response is signed the same way). */
    public boolean usesSha256Integrity() {
        return integrityOffset < 0 && integritySha256Offset >= 0;
    }

    /**
     * Checks MESSAGE-INTEGRITY (or, when that is absent, MESSAGE-INTEGRITY-SHA256) against the bytes
     * received. False for messages that were not decoded or carry no integrity attribute.
     */
    public boolean verifyIntegrity(byte[] key) {
        if (raw == null) {
            return false;
        }
        if (integrityOffset >= 0) {
            return StunCodec.integrityMatches(raw, integrityOffset, key, false);
        }
        if (integritySha256Offset >= 0) {
            return StunCodec.integrityMatches(raw, integritySha256Offset, key, true);
        }
        return false;
    }

    /** The bytes this message was decoded from, or null for a message built here. */
    public byte[] rawBytes() {
        return raw == null ? null : raw.clone();
    }

    static InetSocketAddress decodeAddress(int attributeType, byte[] v, byte[] transactionId, boolean xor) throws StunParseException {
        String name = AttributeType.name(attributeType);
        if (v.length < 4) {
            throw new StunParseException(name + " shorter than 4 bytes");
        }
        int family = v[1] & 0xFF;
        int port = ((v[2] & 0xFF) << 8) | (v[3] & 0xFF);
        byte[] ip;
        if (family == FAMILY_IPV4) {
            if (v.length != 8) {
                throw new StunParseException(name + " with an IPv4 address must be 8 bytes, not " + v.length);
            }
            ip = Arrays.copyOfRange(v, 4, 8);
        } else if (family == FAMILY_IPV6) {
            if (v.length != 20) {
                throw new StunParseException(name + " with an IPv6 address must be 20 bytes, not " + v.length);
            }
            ip = Arrays.copyOfRange(v, 4, 20);
        } else {
            throw new StunParseException(name + " has unknown address family " + family);
        }
        if (xor) {
            port ^= MAGIC_COOKIE >>> 16;
            xorAddressBytes(ip, transactionId);
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new StunParseException(name + ": " + e.getMessage());
        }
    }

    static byte[] encodeAddress(InetSocketAddress address, byte[] transactionId, boolean xor) {
        byte[] ip = address.getAddress().getAddress();
        byte[] v = new byte[4 + ip.length];
        v[1] = (byte) (ip.length == 4 ? FAMILY_IPV4 : FAMILY_IPV6);
        int port = address.getPort() ^ (xor ? MAGIC_COOKIE >>> 16 : 0);
        v[2] = (byte) (port >>> 8);
        v[3] = (byte) port;
        if (xor) {
            xorAddressBytes(ip, transactionId);
        }
        System.arraycopy(ip, 0, v, 4, ip.length);
        return v;
    }

    /** XORs an address with the magic cookie (IPv4) or the cookie and transaction id (IPv6), in place. */
    private static void xorAddressBytes(byte[] ip, byte[] transactionId) {
        for (int i = 0; i < ip.length; i++) {
            int mask = i < 4 ? (MAGIC_COOKIE >>> (24 - 8 * i)) & 0xFF : transactionId[i - 4] & 0xFF;
            ip[i] = (byte) (ip[i] ^ mask);
        }
    }

    @Override
    public String toString() {
        return StunMethod.name(method) + " " + type + " " + transactionIdHex() + " " + attributes;
    }

    /** Builds messages to send; attributes keep the order they are added in. */
    public static final class Builder {
        private final int method;
        private final StunClass type;
        private final byte[] transactionId;
        private final List<Attribute> attributes = new ArrayList<>();

        private Builder(int method, StunClass type, byte[] transactionId) {
            if (method < 0 || method > 0xFFF) {
                throw new IllegalArgumentException("method out of range: " + method);
            }
            if (transactionId.length != TRANSACTION_ID_LENGTH) {
                throw new IllegalArgumentException("transaction id must be 12 bytes");
            }
            this.method = method;
            this.type = type;
            this.transactionId = transactionId.clone();
        }

        public Builder attribute(int attributeType, byte[] value) {
            if (value.length > 0xFFFF) {
                throw new IllegalArgumentException(AttributeType.name(attributeType) + " value too long: " + value.length);
            }
            attributes.add(new Attribute(attributeType, value.clone()));
            return this;
        }

        public Builder string(int attributeType, String value) {
            return attribute(attributeType, value.getBytes(StandardCharsets.UTF_8));
        }

        public Builder u32(int attributeType, long value) {
            return attribute(attributeType, new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
        }

        public Builder xorAddress(int attributeType, InetSocketAddress address) {
            return attribute(attributeType, encodeAddress(address, transactionId, true));
        }

        public Builder address(int attributeType, InetSocketAddress address) {
            return attribute(attributeType, encodeAddress(address, transactionId, false));
        }

        public Builder errorCode(int code, String reason) {
            byte[] text = reason.getBytes(StandardCharsets.UTF_8);
            byte[] v = new byte[4 + Math.min(text.length, 763)];
            v[2] = (byte) (code / 100);
            v[3] = (byte) (code % 100);
            System.arraycopy(text, 0, v, 4, v.length - 4);
            return attribute(AttributeType.ERROR_CODE, v);
        }

        public Builder unknownAttributes(int[] types) {
            byte[] v = new byte[types.length * 2];
            for (int i = 0; i < types.length; i++) {
                v[2 * i] = (byte) (types[i] >>> 8);
                v[2 * i + 1] = (byte) types[i];
            }
            return attribute(AttributeType.UNKNOWN_ATTRIBUTES, v);
        }

        public StunMessage build() {
            return new StunMessage(method, type, transactionId, attributes, null, -1, -1);
        }
    }

    static boolean isIpv4(InetAddress a) {
        return a instanceof Inet4Address;
    }

    static boolean isIpv6(InetAddress a) {
        return a instanceof Inet6Address;
    }
}
