package io.kedge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kedge.common.config.ConfigException;
import io.kedge.common.config.YamlConfig;
import io.kedge.server.auth.TurnCredentials;
import io.kedge.server.config.ServerConfig;
import io.kedge.server.policy.RegisteredPeers;
import io.kedge.server.stun.ErrorCode;
import io.kedge.server.testing.TurnClient;
import io.kedge.server.testing.TurnClient.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole server on loopback with real sockets: STUN and TURN over UDP, TCP and TLS, credentials
 * issued through the public API, refusals, the admin endpoint, and robustness of the listeners.
 * Relaying to a peer outside the relay needs a topology ({@code RelayTopologyIT}); here two
 * allocations talk relay to relay.
 */
class MeshServerTest {
    static final String SECRET = "loopback-test-secret-0123456789";
    static MeshServer server;

    @BeforeAll
    static void start() throws Exception {
        ServerConfig config = YamlConfig.parse("""
                listen: {address: 127.0.0.1, port: 0, tlsPort: 0}
                auth: {realm: loop, sharedSecrets: [%s], users: {fixed: fixed-password}}
                relay: {portRange: 61000-61999}
                quotas: {allocationsPerUser: 3}
                tcp: {idleTimeoutSeconds: 2}
                admin: {listen: 127.0.0.1:0}
                threads: 2
                """.formatted(SECRET), ServerConfig.class);
        server = new MeshServer(config, RegisteredPeers.NONE);
        server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static InetSocketAddress address(Transport t) {
        return switch (t) {
            case UDP -> server.udpAddress();
            case TCP -> server.tcpAddress();
            case TLS -> server.tlsAddress();
        };
    }

    static TurnClient client(Transport t) throws IOException {
        return new TurnClient(t, address(t));
    }

    static TurnCredentials credentials(String agent) {
        return server.credentialIssuer().issue(agent, Duration.ofMinutes(10));
    }

    @Test
    void bindingReportsTheClientAddressOnEveryTransport() throws Exception {
        for (Transport t : Transport.values()) {
            try (TurnClient c = client(t)) {
                InetSocketAddress mapped = c.binding();
                assertThat(mapped.getAddress()).as("%s", t).isEqualTo(InetAddress.getByName("127.0.0.1"));
                assertThat(mapped.getPort()).as("%s", t).isPositive();
            }
        }
    }

    @Test
    void clientsOnDifferentTransportsRelayToEachOther() throws Exception {
        List<TurnClient> clients = new ArrayList<>();
        try {
            for (Transport t : Transport.values()) {
                TurnClient c = client(t);
                clients.add(c);
                TurnCredentials creds = credentials("agent-" + t);
                c.allocate(creds.username(), creds.password());
                assertThat(c.relayedAddress().getAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
                assertThat(c.relayedAddress().getPort()).isBetween(61000, 61999);
            }
            for (int i = 0; i < clients.size(); i++) {
                TurnClient from = clients.get(i);
                TurnClient to = clients.get((i + 1) % clients.size());
                to.createPermission(from.relayedAddress());
                from.channelBind(0x4000 + i, to.relayedAddress());
                // ChannelData one way (odd sizes exercise stream padding), a Send indication as well.
                for (int size : new int[] {1, 2, 3, 4, 5, 1000, 1201}) {
                    from.sendChannel(0x4000 + i, payload(size, i));
                    TurnClient.Received r = to.receive(Duration.ofSeconds(10));
                    assertThat(r).as("%s -> %s, %d bytes", from, to, size).isNotNull();
                    assertThat(r.data()).isEqualTo(payload(size, i));
                    assertThat(r.peer()).isEqualTo(from.relayedAddress());
                }
            }
            assertThat(server.metrics().relayedPackets(false)).isGreaterThanOrEqualTo(21);
        } finally {
            clients.forEach(TurnClient::close);
        }
    }

    @Test
    void dataIndicationsWhenNoChannelIsBound() throws Exception {
        try (TurnClient a = client(Transport.UDP); TurnClient b = client(Transport.TCP)) {
            TurnCredentials ca = credentials("ind-a");
            TurnCredentials cb = credentials("ind-b");
            a.allocate(ca.username(), ca.password());
            b.allocate(cb.username(), cb.password());
            a.createPermission(b.relayedAddress());
            b.createPermission(a.relayedAddress());
            a.send(b.relayedAddress(), "ping".getBytes(StandardCharsets.UTF_8));
            TurnClient.Received r = b.receive(Duration.ofSeconds(10));
            assertThat(r.channel()).isZero();
            assertThat(new String(r.data(), StandardCharsets.UTF_8)).isEqualTo("ping");
            b.reply(r, "pong".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(a.receive(Duration.ofSeconds(10)).data(), StandardCharsets.UTF_8)).isEqualTo("pong");
        }
    }

    @Test
    void aBurstOverStreamsIsRelayedWithoutOverflowingTheConnection() throws Exception {
        for (Transport t : List.of(Transport.TCP, Transport.TLS)) {
            try (TurnClient a = client(t); TurnClient b = client(t)) {
                TurnCredentials ca = credentials("burst-a-" + t);
                TurnCredentials cb = credentials("burst-b-" + t);
                a.allocate(ca.username(), ca.password());
                b.allocate(cb.username(), cb.password());
                b.createPermission(a.relayedAddress());
                a.channelBind(0x4000, b.relayedAddress());
                long dropsBefore = server.metrics().drops(io.kedge.server.metrics.RelayMetrics.Drop.CLIENT_BACKPRESSURE);
                for (int i = 0; i < 1000; i++) {
                    a.sendChannel(0x4000, payload(300, i));
                }
                java.util.function.LongSupplier drops = () ->
                        server.metrics().drops(io.kedge.server.metrics.RelayMetrics.Drop.CLIENT_BACKPRESSURE) - dropsBefore;
                await().atMost(Duration.ofSeconds(20)).until(() -> b.receivedCount() + drops.getAsLong() >= 1000);
                // A receiver that keeps reading loses (almost) nothing to the relay's own buffering.
                assertThat(b.receivedCount()).as("%s, %d dropped for backpressure", t, drops.getAsLong()).isGreaterThanOrEqualTo(950);
            }
        }
    }

    @Test
    void badExpiredOrMissingCredentialsAreRefused() throws Exception {
        TurnCredentials good = credentials("agent-x");
        try (TurnClient c = client(Transport.UDP)) {
            assertThatThrownBy(() -> c.allocate(good.username(), good.password() + "x"))
                    .isInstanceOfSatisfying(TurnClient.TurnError.class, e -> assertThat(e.code).isEqualTo(ErrorCode.UNAUTHORIZED));
        }
        long past = System.currentTimeMillis() / 1000 - 5;
        String expiredUser = past + ":agent-x";
        try (TurnClient c = client(Transport.UDP)) {
            assertThatThrownBy(() -> c.allocate(expiredUser, io.kedge.server.auth.SharedSecretCredentials.password(SECRET, expiredUser)))
                    .isInstanceOfSatisfying(TurnClient.TurnError.class, e -> assertThat(e.code).isEqualTo(ErrorCode.UNAUTHORIZED));
        }
        try (TurnClient c = client(Transport.TCP)) {
            assertThatThrownBy(() -> c.allocate("nobody", "x"))
                    .isInstanceOfSatisfying(TurnClient.TurnError.class, e -> assertThat(e.code).isEqualTo(ErrorCode.UNAUTHORIZED));
        }
        try (TurnClient c = client(Transport.UDP)) {
            c.allocate("fixed", "fixed-password");
            assertThat(c.relayedAddress()).isNotNull();
        }
    }

    @Test
    void permissionsTowardsLoopbackOrNonAllowedPeersAreRefused() throws Exception {
        try (TurnClient c = client(Transport.UDP)) {
            TurnCredentials creds = credentials("agent-p");
            c.allocate(creds.username(), creds.password());
            for (String peer : List.of("127.0.0.2", "198.51.100.1", "169.254.169.254")) {
                assertThatThrownBy(() -> c.createPermission(new InetSocketAddress(InetAddress.getByName(peer), 1)))
                        .as(peer).isInstanceOfSatisfying(TurnClient.TurnError.class, e -> assertThat(e.code).isEqualTo(ErrorCode.FORBIDDEN));
            }
        }
    }

    @Test
    void aUsersFourthAllocationIsRefusedWith486() throws Exception {
        List<TurnClient> clients = new ArrayList<>();
        try {
            TurnCredentials creds = credentials("greedy");
            for (int i = 0; i < 3; i++) {
                TurnClient c = client(Transport.UDP);
                clients.add(c);
                c.allocate(creds.username(), creds.password());
            }
            TurnClient fourth = client(Transport.UDP);
            clients.add(fourth);
            assertThatThrownBy(() -> fourth.allocate(creds.username(), creds.password()))
                    .isInstanceOfSatisfying(TurnClient.TurnError.class, e -> assertThat(e.code).isEqualTo(ErrorCode.ALLOCATION_QUOTA_REACHED));
            clients.get(0).refresh(0);
            fourth.allocate(creds.username(), creds.password());
        } finally {
            clients.forEach(TurnClient::close);
        }
    }

    @Test
    void closingATcpConnectionDeletesItsAllocation() throws Exception {
        // Judged by this allocation's user, not by the total: other tests' allocations end concurrently.
        TurnClient c = client(Transport.TCP);
        TurnCredentials creds = credentials("tcp-close");
        c.allocate(creds.username(), creds.password());
        assertThat(allocationsText()).contains("\"tcp-close\"");
        c.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> !allocationsText().contains("\"tcp-close\""));
    }

    static String allocationsText() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort()
                + "/debug/allocations")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void idleConnectionsWithoutAnAllocationAreClosedOthersKept() throws Exception {
        try (Socket idle = new Socket()) {
            idle.connect(server.tcpAddress());
            idle.setSoTimeout(15_000);
            assertThat(idle.getInputStream().read()).as("closed by the server").isEqualTo(-1);
        }
        try (TurnClient holder = client(Transport.TCP)) {
            TurnCredentials creds = credentials("holder");
            holder.allocate(creds.username(), creds.password());
            Thread.sleep(4000); // twice the idle timeout, without traffic
            assertThat(holder.refresh(600)).as("still connected").isEqualTo(600);
        }
    }

    @Test
    void garbageOnTcpClosesThatConnectionOnly() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(server.tcpAddress());
            s.setSoTimeout(15_000);
            s.getOutputStream().write(new byte[] {(byte) 0xC0, 0, 0, 4, 1, 2, 3, 4});
            InputStream in = s.getInputStream();
            assertThat(in.read()).isEqualTo(-1);
        }
        try (TurnClient c = client(Transport.TCP)) {
            assertThat(c.binding()).isNotNull();
        }
    }

    @Test
    void randomDatagramsDoNotDisturbTheServer() throws Exception {
        Random random = new Random(42);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            for (int i = 0; i < 2000; i++) {
                byte[] junk = new byte[random.nextInt(120)];
                random.nextBytes(junk);
                if (junk.length > 8 && random.nextBoolean()) {
                    junk[0] &= 0x3F; // looks like STUN
                    junk[4] = 0x21;
                    junk[5] = 0x12;
                    junk[6] = (byte) 0xA4;
                    junk[7] = 0x42;
                }
                s.send(new DatagramPacket(junk, junk.length, server.udpAddress()));
            }
        }
        try (TurnClient c = client(Transport.UDP)) {
            assertThat(c.binding()).isNotNull();
        }
    }

    @Test
    void adminEndpointServesHealthReadinessAndMetrics() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.adminPort();
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
        try (TurnClient c = client(Transport.UDP)) {
            c.allocate("fixed", "fixed-password");
            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("kedge_turn_allocations{transport=\"udp\"}", "kedge_turn_relayed_bytes_total",
                    "kedge_turn_auth_failures_total", "kedge_turn_quota_rejections_total", "kedge_turn_permissions",
                    "kedge_turn_channels", "kedge_stun_binding_requests_total");
            String allocations = http.send(HttpRequest.newBuilder(URI.create(base + "/debug/allocations")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(allocations).contains(c.relayedAddress().getPort() + "");
        }
    }

    @Test
    void aRelayWithoutCredentialsIsRefused() {
        ServerConfig open = YamlConfig.parse("listen: {address: 127.0.0.1, port: 0, tlsPort: 0}\nadmin: {listen: 127.0.0.1:0}\n",
                ServerConfig.class);
        MeshServer s = new MeshServer(open, RegisteredPeers.NONE);
        assertThatThrownBy(s::start).isInstanceOf(ConfigException.class).hasMessageContaining("no credentials");
    }

    static byte[] payload(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }
}
