package io.kedge.server.signaling;

import static io.kedge.server.testing.Net.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kedge.common.config.YamlConfig;
import io.kedge.common.signaling.SignalMessage;
import io.kedge.common.signaling.SignalMessage.Failure;
import io.kedge.server.MeshServer;
import io.kedge.server.config.ServerConfig;
import io.kedge.server.policy.RegisteredPeers;
import io.kedge.server.testing.SignalingClient;
import io.kedge.server.testing.TurnClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Signaling with a join token, on loopback with the whole server: registration, refusals, brokering
 * between two agents, relay credentials that the TURN side accepts, the relay's view of registered
 * addresses, replacement on re-registration, and bad frames.
 */
class SignalingTest {
    static final String TOKEN = "join-token-for-signaling-tests";
    static MeshServer server;

    @BeforeAll
    static void start() throws Exception {
        ServerConfig config = YamlConfig.parse("""
                listen: {address: 127.0.0.1, port: 0, tlsPort: 0}
                auth: {sharedSecrets: [signaling-test-secret-0123456789]}
                relay: {portRange: 62000-62499}
                signaling: {port: 0, joinToken: %s, name: relay-t, registerTimeoutSeconds: 2}
                admin: {listen: 127.0.0.1:0}
                threads: 2
                """.formatted(TOKEN), ServerConfig.class);
        server = startRetryingBindRaces(config);
    }

    /**
     * With port 0 the TCP listener takes the port the UDP one got, which another process may hold:
     * a few fresh tries (nothing is left open by a failed start).
     */
    static MeshServer startRetryingBindRaces(ServerConfig config) throws Exception {
        for (int attempt = 1; ; attempt++) {
            MeshServer s = new MeshServer(config, RegisteredPeers.NONE);
            try {
                s.start();
                return s;
            } catch (java.io.IOException e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static SignalingClient registered(String node, String... addresses) throws Exception {
        SignalingClient c = new SignalingClient(server.signalingAddress());
        c.send(new SignalMessage.Register(node, TOKEN, List.of(addresses)));
        SignalMessage answer = c.receive();
        assertThat(answer).isInstanceOf(SignalMessage.Registered.class);
        return c;
    }

    @Test
    void registrationHandsOutWorkingRelayCredentials() throws Exception {
        try (SignalingClient c = new SignalingClient(server.signalingAddress())) {
            c.send(new SignalMessage.Register("cred-node", TOKEN, List.of()));
            SignalMessage.Registered r = (SignalMessage.Registered) c.receive();
            assertThat(r.server()).isEqualTo("relay-t");
            assertThat(r.node()).isEqualTo("cred-node");
            assertThat(r.observed()).startsWith("127.0.0.1:");
            assertThat(r.credentials().uris()).containsExactly(
                    "turn:127.0.0.1:" + server.udpAddress().getPort() + "?transport=udp",
                    "turn:127.0.0.1:" + server.tcpAddress().getPort() + "?transport=tcp",
                    "turns:127.0.0.1:" + server.tlsAddress().getPort() + "?transport=tcp");
            try (TurnClient turn = new TurnClient(TurnClient.Transport.UDP, server.udpAddress())) {
                assertThat(turn.allocate(r.credentials().username(), r.credentials().password())).isNotNull();
            }
            c.send(new SignalMessage.RefreshCredentials());
            SignalMessage.Credentials fresh = (SignalMessage.Credentials) c.receive();
            assertThat(fresh.credentials().username()).endsWith(":cred-node");
            c.send(new SignalMessage.Keepalive(41));
            assertThat(c.receive()).isEqualTo(new SignalMessage.Keepalive(41));
        }
    }

    @Test
    void wrongOrMissingTokenIsRefusedAndClosed() throws Exception {
        for (String token : new String[] {"wrong-token-wrong-token", null}) {
            try (SignalingClient c = new SignalingClient(server.signalingAddress())) {
                c.send(new SignalMessage.Register("intruder", token, List.of("198.51.100.99")));
                SignalMessage answer = c.receive();
                assertThat(answer).isInstanceOf(Failure.class);
                assertThat(((Failure) answer).code()).isEqualTo(Failure.UNAUTHENTICATED);
                assertThat(c.closedByServer()).isTrue();
            }
        }
        assertThat(server.agents().find("intruder")).isEmpty();
        assertThat(server.agents().isRegistered(ip("198.51.100.99"))).isFalse();
    }

    @Test
    void messagesBeforeRegistrationAreRefused() throws Exception {
        try (SignalingClient c = new SignalingClient(server.signalingAddress())) {
            c.send(new SignalMessage.Bye(null, "someone", "s", "x"));
            assertThat(((Failure) c.receive()).code()).isEqualTo(Failure.NOT_REGISTERED);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void silentConnectionsAreClosedAfterTheRegistrationTimeout() throws Exception {
        try (SignalingClient c = new SignalingClient(server.signalingAddress())) {
            c.sendBytes(new byte[0]);
            SignalMessage answer = c.receive();
            assertThat(((Failure) answer).code()).isEqualTo(Failure.NOT_REGISTERED);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void offersAnswersCandidatesAndByesAreBrokeredWithTheAuthenticatedSender() throws Exception {
        try (SignalingClient a = registered("node-a", "192.0.2.10"); SignalingClient b = registered("node-b", "192.0.2.20")) {
            // node-a claims to be node-z: the server stamps its real name.
            a.send(new SignalMessage.Description("node-z", "node-b", "s1", "offer", "ufa", "pwa", List.of("candidate:1 1 udp 1 192.0.2.10 5000 typ host"),
                    "sha-256 AA"));
            SignalMessage.Description offer = (SignalMessage.Description) b.receive();
            assertThat(offer.from()).isEqualTo("node-a");
            assertThat(offer.ufrag()).isEqualTo("ufa");
            assertThat(offer.candidates()).hasSize(1);
            b.send(new SignalMessage.Description(null, "node-a", "s1", "answer", "ufb", "pwb", List.of(), "sha-256 BB"));
            SignalMessage.Description answer = (SignalMessage.Description) a.receive();
            assertThat(answer.from()).isEqualTo("node-b");
            assertThat(answer.kind()).isEqualTo("answer");
            b.send(new SignalMessage.Candidate(null, "node-a", "s1", "candidate:2 1 udp 1 203.0.113.1 50000 typ relay"));
            assertThat(a.receive()).isEqualTo(new SignalMessage.Candidate("node-b", "node-a", "s1", "candidate:2 1 udp 1 203.0.113.1 50000 typ relay"));
            a.send(new SignalMessage.Bye(null, "node-b", "s1", "done"));
            assertThat(b.receive()).isEqualTo(new SignalMessage.Bye("node-a", "node-b", "s1", "done"));

            a.send(new SignalMessage.Description(null, "node-nowhere", "s2", "offer", "u", "p", List.of(), null));
            Failure f = (Failure) a.receive();
            assertThat(f.code()).isEqualTo(Failure.UNKNOWN_PEER);
            assertThat(f.session()).isEqualTo("s2");
        }
    }

    @Test
    void theRelayMayReachRegisteredAgentsOnlyWhileTheyAreRegistered() throws Exception {
        SignalingClient c = registered("node-addr", "198.51.100.40");
        try {
            assertThat(server.agents().isRegistered(ip("198.51.100.40"))).isTrue();
            assertThat(server.agents().isRegistered(ip("127.0.0.1"))).as("the observed address").isTrue();
            assertThat(server.agents().isRegistered(ip("198.51.100.41"))).isFalse();
        } finally {
            c.close();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !server.agents().isRegistered(ip("198.51.100.40")));
        assertThat(server.agents().find("node-addr")).isEmpty();
    }

    @Test
    void aSecondRegistrationOfTheSameNodeReplacesTheFirst() throws Exception {
        try (SignalingClient first = registered("node-again", "198.51.100.50");
             SignalingClient second = registered("node-again", "198.51.100.51")) {
            assertThat(((Failure) first.receive()).code()).isEqualTo(Failure.REPLACED);
            assertThat(first.closedByServer()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> !server.agents().isRegistered(ip("198.51.100.50")));
            assertThat(server.agents().isRegistered(ip("198.51.100.51"))).isTrue();
            second.send(new SignalMessage.Keepalive(1));
            assertThat(second.receive()).isEqualTo(new SignalMessage.Keepalive(1));
        }
    }

    @Test
    void badFramesAreAnsweredOrClosedWithoutHarm() throws Exception {
        try (SignalingClient c = registered("node-bad")) {
            c.sendRaw("{\"type\":\"description\"}".getBytes(StandardCharsets.UTF_8));
            assertThat(((Failure) c.receive()).code()).isEqualTo(Failure.BAD_MESSAGE);
            c.sendRaw("not json at all".getBytes(StandardCharsets.UTF_8));
            assertThat(((Failure) c.receive()).code()).isEqualTo(Failure.BAD_MESSAGE);
            c.send(new SignalMessage.Keepalive(2));
            assertThat(c.receive()).isEqualTo(new SignalMessage.Keepalive(2));
            // A length beyond the limit: the server drops the connection rather than buffer it.
            c.sendBytes(ByteBuffer.allocate(4).putInt(10_000_000).array());
            assertThat(c.closedByServer()).isTrue();
        }
        try (SignalingClient c = new SignalingClient(server.signalingAddress())) {
            c.send(new SignalMessage.Register("node-host", TOKEN, List.of("relay.example")));
            assertThat(((Failure) c.receive()).code()).isEqualTo(Failure.BAD_MESSAGE);
        }
        try (SignalingClient c = registered("node-still-fine")) {
            c.send(new SignalMessage.Keepalive(3));
            assertThat(c.receive()).isEqualTo(new SignalMessage.Keepalive(3));
        }
    }

    @Test
    void agentsAndRegistrationsAreOnTheAdminEndpoint() throws Exception {
        try (SignalingClient c = registered("node-metrics", "192.0.2.77")) {
            HttpClient http = HttpClient.newHttpClient();
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).containsPattern("kedge_signaling_agents [1-9]").contains("kedge_signaling_registrations_total{outcome=\"accepted\"}");
            String agents = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + "/debug/agents")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(agents).contains("\"node-metrics\"").contains("192.0.2.77");
        }
    }

    @Test
    void signalingNeverRunsWithoutAuthentication() {
        assertThatThrownBy(() -> YamlConfig.parse("signaling: {enabled: true}", ServerConfig.class))
                .hasMessageContaining("enabled").hasMessageContaining("unauthenticated agents are never accepted");
        assertThat(ServerConfig.defaults().signaling().enabled()).isFalse();
        assertThatThrownBy(() -> YamlConfig.parse("signaling: {joinToken: short}", ServerConfig.class)).hasMessageContaining("joinToken");
    }
}
