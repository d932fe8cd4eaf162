package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.common.signaling.SignalMessage;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class RelayServerTest {
    @Test
    void turnUrisBecomeRelaysAndEverythingElseIsSkipped() {
        SignalMessage.RelayCredentials c = new SignalMessage.RelayCredentials("u", "p", 0, List.of(
                "turn:203.0.113.10:3478?transport=udp", "turn:203.0.113.10:3478?transport=tcp", "turns:203.0.113.10:5349?transport=tcp",
                "turns:203.0.113.10:5349?transport=udp", "turns:203.0.113.12:5349", "turn:relay.example:3478", "turn:203.0.113.10:99999", "turn:203.0.113.10:3478?transport=sctp", "stun:203.0.113.10:3478",
                "turn:203.0.113.11:3478"));
        assertThat(RelayServer.from("r", c)).containsExactly(
                new RelayServer("r", new InetSocketAddress("203.0.113.10", 3478), "udp", "u", "p"),
                new RelayServer("r", new InetSocketAddress("203.0.113.10", 3478), "tcp", "u", "p"),
                new RelayServer("r", new InetSocketAddress("203.0.113.10", 5349), "tls", "u", "p"),
                new RelayServer("r", new InetSocketAddress("203.0.113.12", 5349), "tls", "u", "p"),
                new RelayServer("r", new InetSocketAddress("203.0.113.11", 3478), "udp", "u", "p"));
        assertThat(RelayServer.from("r", null)).isEmpty();
    }

    @Test
    void ipLiteralsOnlyNeverNames() {
        assertThat(IceCandidates.ipLiteral("198.51.100.1")).isNotNull();
        assertThat(IceCandidates.ipLiteral("256.1.1.1")).isNull();
        assertThat(IceCandidates.ipLiteral("relay.example")).isNull();
        assertThat(IceCandidates.ipLiteral("1.2.3")).isNull();
        assertThat(IceCandidates.ipLiteral("::1")).isNull();
    }

    @Test
    void subnetPrefixes() {
        byte[] a = {100, 64, 2, 11};
        assertThat(IceSession.prefixMatches(a, new byte[] {100, 64, 2, 12}, 24)).isTrue();
        assertThat(IceSession.prefixMatches(a, new byte[] {100, 64, 3, 12}, 24)).isFalse();
        assertThat(IceSession.prefixMatches(a, new byte[] {100, 64, 3, 12}, 16)).isTrue();
        assertThat(IceSession.prefixMatches(a, new byte[] {1, 2, 3, 4}, 0)).isTrue();
    }
}
