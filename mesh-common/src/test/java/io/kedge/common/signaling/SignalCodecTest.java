package io.kedge.common.signaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SignalCodecTest {
    @Test
    void everyMessageSurvivesARoundTrip() throws SignalException {
        List<SignalMessage> all = List.of(
                new SignalMessage.Register("edge-1", "tok", List.of("192.0.2.10")),
                new SignalMessage.Registered("relay-1", "edge-1", "198.51.100.1:40000",
                        new SignalMessage.RelayCredentials("1700000000:edge-1", "pw", 1700000000L, List.of("turn:203.0.113.1:3478?transport=udp"))),
                new SignalMessage.Description("a", "b", "s1", SignalMessage.Description.OFFER, "uf", "pw",
                        List.of("candidate:1 1 udp 2130706431 192.0.2.10 5000 typ host"), "sha-256 AB:CD"),
                new SignalMessage.Description("a", "b", "s1", SignalMessage.Description.UPGRADE_OFFER, "uf2", "pw2",
                        List.of("candidate:1 1 udp 2130706431 192.0.2.10 5002 typ host"), "sha-256 AB:CD"),
                new SignalMessage.Description("b", "a", "s1", SignalMessage.Description.UPGRADE_ANSWER, "uf3", "pw3", List.of(), "sha-256 EF"),
                new SignalMessage.Candidate("a", "b", "s1", "candidate:2 1 udp 1 203.0.113.1 50000 typ relay"),
                new SignalMessage.Bye("a", "b", "s1", "idle"),
                new SignalMessage.Keepalive(7),
                new SignalMessage.RefreshCredentials(),
                new SignalMessage.Credentials(new SignalMessage.RelayCredentials("u", "p", 1, List.of())),
                new SignalMessage.Failure(SignalMessage.Failure.UNKNOWN_PEER, "no such node", "s1"));
        for (SignalMessage m : all) {
            assertThat(SignalCodec.decode(SignalCodec.encode(m))).isEqualTo(m);
        }
    }

    @Test
    void theTypeTagIsOnTheWire() {
        String json = new String(SignalCodec.encode(new SignalMessage.Keepalive(3)), StandardCharsets.UTF_8);
        assertThat(json).contains("\"type\":\"keepalive\"").contains("\"seq\":3");
    }

    @Test
    void unknownFieldsAreIgnored() throws SignalException {
        byte[] json = "{\"type\":\"keepalive\",\"seq\":1,\"future\":[1,2]}".getBytes(StandardCharsets.UTF_8);
        assertThat(SignalCodec.decode(json)).isEqualTo(new SignalMessage.Keepalive(1));
    }

    @Test
    void badFramesAreRefusedWithAReason() {
        assertThatThrownBy(() -> decode("not json")).isInstanceOf(SignalException.class).hasMessageContaining("not a signaling message");
        assertThatThrownBy(() -> decode("{\"type\":\"nope\"}")).isInstanceOf(SignalException.class);
        assertThatThrownBy(() -> decode("{\"seq\":1}")).isInstanceOf(SignalException.class);
        assertThatThrownBy(() -> decode("null")).isInstanceOf(SignalException.class);
        assertThatThrownBy(() -> decode("{\"type\":\"register\"}")).hasMessageContaining("node is missing");
        assertThatThrownBy(() -> decode("{\"type\":\"register\",\"node\":\"a b\"}")).hasMessageContaining("printable");
        assertThatThrownBy(() -> decode("{\"type\":\"description\",\"to\":\"b\",\"session\":\"s\",\"kind\":\"x\",\"ufrag\":\"u\",\"pwd\":\"p\"}"))
                .hasMessageContaining("kind must be offer, answer, upgrade-offer or upgrade-answer");
        String many = "\"c\",".repeat(65);
        assertThatThrownBy(() -> decode("{\"type\":\"register\",\"node\":\"n\",\"addresses\":[" + many + "\"c\"]}"))
                .hasMessageContaining("more than 64");
        assertThatThrownBy(() -> SignalCodec.decode(new byte[SignalCodec.MAX_FRAME + 1])).hasMessageContaining("exceeds");
        assertThatThrownBy(() -> decode("[".repeat(100))).isInstanceOf(SignalException.class);
    }

    @Test
    void randomBytesNeverEscapeAsAnythingButSignalException() {
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] b = new byte[random.nextInt(200)];
            random.nextBytes(b);
            try {
                SignalCodec.decode(b);
            } catch (SignalException expected) {
                // the only acceptable outcome besides a valid message
            }
        }
    }

    private static SignalMessage decode(String json) throws SignalException {
        return SignalCodec.decode(json.getBytes(StandardCharsets.UTF_8));
    }
}
