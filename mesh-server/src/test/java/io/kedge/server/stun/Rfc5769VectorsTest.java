package io.kedge.server.stun;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The sample messages of RFC 5769 ("Test Vectors for STUN"): the codec decodes them, verifies
 * their MESSAGE-INTEGRITY and FINGERPRINT, and re-encodes them to the very same bytes.
 */
class Rfc5769VectorsTest {
    static final String PASSWORD = "VOkJxbRl1RmTxUk/WvJxBt";
    static final byte[] TRANSACTION = hex("b7e7a701bc34d686fa87dfae");

    // RFC 5769 section 2.1 (padding bytes are spaces, as in the RFC).
    static final byte[] SAMPLE_REQUEST = hex(
            "000100582112a442b7e7a701bc34d686fa87dfae"
            + "80220010" + "5354554e20746573742063 6c69656e74".replace(" ", "")
            + "00240004" + "6e0001ff"
            + "80290008" + "932ff9b151263b36"
            + "00060009" + "6576746a3a68367659202020"
            + "00080014" + "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
            + "80280004" + "e57a3bcf");

    // Section 2.2: Binding success, XOR-MAPPED-ADDRESS 192.0.2.1:32853, SOFTWARE "test vector".
    static final byte[] SAMPLE_IPV4_RESPONSE = hex(
            "0101003c2112a442b7e7a701bc34d686fa87dfae"
            + "8022000b" + "7465737420766563746f7220"
            + "00200008" + "0001a147e112a643"
            + "00080014" + "2b91f599fd9e90c38c7489f92af9ba53f06be7d7"
            + "80280004" + "c07d4c96");

    // Section 2.3: the same with 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
    static final byte[] SAMPLE_IPV6_RESPONSE = hex(
            "010100482112a442b7e7a701bc34d686fa87dfae"
            + "8022000b" + "7465737420766563746f7220"
            + "00200014" + "0002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
            + "00080014" + "a382954e4be67bf11784c97c8292c275bfe3ed41"
            + "80280004" + "c8fb0b4c");

    // Section 2.4: long-term credentials, username U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9,
    // password "TheMatrIX" after SASLprep, realm example.org.
    static final byte[] SAMPLE_LONG_TERM_REQUEST = hex(
            "000100602112a44278ad3433c6ad72c029da412e"
            + "00060012" + "e3839ee38388e383aae38383e382afe382b90000"
            + "0015001c" + "662f2f3439396b39353464364f4c33346f4c394653547679363473 41".replace(" ", "")
            + "0014000b" + "6578616d706c652e6f726700"
            + "00080014" + "f67024656dd64a3e02b8e0712e85c9a28ca89666");

    @Test
    void sampleRequestDecodesAndVerifies() throws Exception {
        StunMessage m = StunCodec.decode(SAMPLE_REQUEST, 0, SAMPLE_REQUEST.length);
        assertThat(m.method()).isEqualTo(StunMethod.BINDING);
        assertThat(m.type()).isEqualTo(StunClass.REQUEST);
        assertThat(m.transactionId()).isEqualTo(TRANSACTION);
        assertThat(m.string(AttributeType.SOFTWARE)).isEqualTo("STUN test client");
        assertThat(m.string(AttributeType.USERNAME)).isEqualTo("evtj:h6vY");
        assertThat(m.u32(AttributeType.PRIORITY)).isEqualTo(0x6e0001ffL);
        // Short-term credentials: the key is the password itself.
        assertThat(m.verifyIntegrity(PASSWORD.getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(m.verifyIntegrity("wrong".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    @Test
    void sampleRequestReEncodesToTheSameBytes() throws Exception {
        StunMessage decoded = StunCodec.decode(SAMPLE_REQUEST, 0, SAMPLE_REQUEST.length);
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TRANSACTION);
        decoded.attributes().forEach(a -> b.attribute(a.type(), a.value()));
        byte[] encoded = StunCodec.encode(b.build(), new IntegrityKey(PASSWORD.getBytes(StandardCharsets.UTF_8), false), true, ' ');
        assertThat(HexFormat.of().formatHex(encoded)).isEqualTo(HexFormat.of().formatHex(SAMPLE_REQUEST));
    }

    @Test
    void ipv4ResponseIsReproducedFromItsParameters() throws Exception {
        StunMessage built = StunMessage.builder(StunMethod.BINDING, StunClass.SUCCESS, TRANSACTION)
                .string(AttributeType.SOFTWARE, "test vector")
                .xorAddress(AttributeType.XOR_MAPPED_ADDRESS, new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 32853))
                .build();
        byte[] encoded = StunCodec.encode(built, new IntegrityKey(PASSWORD.getBytes(StandardCharsets.UTF_8), false), true, ' ');
        assertThat(HexFormat.of().formatHex(encoded)).isEqualTo(HexFormat.of().formatHex(SAMPLE_IPV4_RESPONSE));

        StunMessage decoded = StunCodec.decode(SAMPLE_IPV4_RESPONSE, 0, SAMPLE_IPV4_RESPONSE.length);
        assertThat(decoded.type()).isEqualTo(StunClass.SUCCESS);
        assertThat(decoded.xorAddress(AttributeType.XOR_MAPPED_ADDRESS))
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 32853));
        assertThat(decoded.verifyIntegrity(PASSWORD.getBytes(StandardCharsets.UTF_8))).isTrue();
    }

    @Test
    void ipv6ResponseIsReproducedFromItsParameters() throws Exception {
        InetSocketAddress mapped = new InetSocketAddress(InetAddress.getByName("2001:db8:1234:5678:11:2233:4455:6677"), 32853);
        StunMessage built = StunMessage.builder(StunMethod.BINDING, StunClass.SUCCESS, TRANSACTION)
                .string(AttributeType.SOFTWARE, "test vector")
                .xorAddress(AttributeType.XOR_MAPPED_ADDRESS, mapped)
                .build();
        byte[] encoded = StunCodec.encode(built, new IntegrityKey(PASSWORD.getBytes(StandardCharsets.UTF_8), false), true, ' ');
        assertThat(HexFormat.of().formatHex(encoded)).isEqualTo(HexFormat.of().formatHex(SAMPLE_IPV6_RESPONSE));
        StunMessage decoded = StunCodec.decode(SAMPLE_IPV6_RESPONSE, 0, SAMPLE_IPV6_RESPONSE.length);
        assertThat(decoded.xorAddress(AttributeType.XOR_MAPPED_ADDRESS)).isEqualTo(mapped);
    }

    @Test
    void longTermRequestVerifiesWithTheMd5Key() throws Exception {
        StunMessage m = StunCodec.decode(SAMPLE_LONG_TERM_REQUEST, 0, SAMPLE_LONG_TERM_REQUEST.length);
        String username = m.string(AttributeType.USERNAME);
        assertThat(username).isEqualTo("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9");
        assertThat(m.string(AttributeType.NONCE)).isEqualTo("f//499k954d6OL34oL9FSTvy64sA");
        assertThat(m.string(AttributeType.REALM)).isEqualTo("example.org");
        assertThat(m.verifyIntegrity(StunCodec.longTermKey(username, "example.org", "TheMatrIX"))).isTrue();
        assertThat(m.verifyIntegrity(StunCodec.longTermKey(username, "example.org", "TheMatrix"))).isFalse();

        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, m.transactionId());
        m.attributes().forEach(a -> b.attribute(a.type(), a.value()));
        byte[] encoded = StunCodec.encode(b.build(), new IntegrityKey(StunCodec.longTermKey(username, "example.org", "TheMatrIX"), false), false);
        assertThat(HexFormat.of().formatHex(encoded)).isEqualTo(HexFormat.of().formatHex(SAMPLE_LONG_TERM_REQUEST));
    }

    @Test
    void aFlippedBitBreaksTheFingerprint() {
        // Every byte before the FINGERPRINT attribute is covered by its CRC.
        for (int i = 0; i < SAMPLE_IPV4_RESPONSE.length - 8; i++) {
            byte[] copy = SAMPLE_IPV4_RESPONSE.clone();
            copy[i] ^= 0x01;
            boolean decoded;
            try {
                StunCodec.decode(copy, 0, copy.length);
                decoded = true;
            } catch (StunParseException e) {
                decoded = false;
            }
            assertThat(decoded).as("bit flipped in byte %d", i).isFalse();
        }
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }
}
