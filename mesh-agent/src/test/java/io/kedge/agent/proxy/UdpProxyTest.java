package io.kedge.agent.proxy;

import static io.kedge.agent.proxy.TestCatalogs.endpoint;
import static io.kedge.agent.proxy.TestCatalogs.service;
import static io.kedge.agent.proxy.TestCatalogs.udp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.catalog.Protocol;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UdpProxyTest {
    private final Cleanup cleanup = new Cleanup();

    @AfterEach
    void cleanUp() throws Exception {
        cleanup.close();
    }

    private ProxyHarness proxyFor(UdpEchoBackend backend, ProxyConfig config) {
        ProxyHarness h = cleanup.add(new ProxyHarness(config));
        h.reconcile(new TestCatalogs().put(service("dns", udp("dns", 53)), endpoint(backend.ip(), "dns", backend.port())).build());
        return h;
    }

    private DatagramSocket client() throws IOException {
        DatagramSocket s = cleanup.add(new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)));
        s.setSoTimeout(2000);
        return s;
    }

    /** Sends {@code payload} and returns the answer, resending a few times (UDP may drop under load). */
    private static byte[] roundTrip(DatagramSocket s, InetSocketAddress to, byte[] payload) throws IOException {
        byte[] buf = new byte[65535];
        for (int attempt = 0; attempt < 5; attempt++) {
            s.send(new DatagramPacket(payload, payload.length, to));
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
                return Arrays.copyOfRange(p.getData(), 0, p.getLength());
            } catch (SocketTimeoutException e) {
                // resend
            }
        }
        throw new AssertionError("no answer after 5 tries");
    }

    @Test
    void datagramBoundariesArePreservedEndToEnd() throws Exception {
        UdpEchoBackend backend = cleanup.add(new UdpEchoBackend("127.0.0.2"));
        ProxyHarness h = proxyFor(backend, ProxyHarness.config().build());
        InetSocketAddress address = h.address("dns", "dns", Protocol.UDP);
        DatagramSocket s = client();
        Random random = new Random(3);
        // (Zero-length datagrams are not among them: Netty's datagram channels do not send those.)
        for (int size : new int[] {1, 1400, 1, 9000, 65000, 1400}) {
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            assertThat(roundTrip(s, address, payload)).as("%d-byte datagram", size).isEqualTo(payload);
        }
        // Back to back without waiting: each datagram still arrives whole and alone.
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            byte[] payload = new byte[i % 2 == 0 ? 1 : 1400];
            random.nextBytes(payload);
            sent.add(payload);
            s.send(new DatagramPacket(payload, payload.length, address));
        }
        byte[] buf = new byte[65535];
        for (byte[] expected : sent) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            assertThat(Arrays.copyOfRange(p.getData(), 0, p.getLength())).isEqualTo(expected);
        }
        assertThat(h.proxy.udpSessions()).isEqualTo(1);
        assertThat(backend.peers).hasSize(1);
    }

    @Test
    void idleSessionsExpireAndTheClientGetsANewOne() throws Exception {
        UdpEchoBackend backend = cleanup.add(new UdpEchoBackend("127.0.0.2"));
        ProxyHarness h = proxyFor(backend, ProxyHarness.config().udpIdleTimeout(Duration.ofMillis(500)).build());
        InetSocketAddress address = h.address("dns", "dns", Protocol.UDP);
        DatagramSocket s = client();
        assertThat(roundTrip(s, address, new byte[] {7})).containsExactly(7);
        assertThat(h.proxy.udpSessions()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.proxy.udpSessions() == 0);
        assertThat(h.metric("kedge_agent_proxy_udp_sessions_active", "dns", "udp")).isZero();
        assertThat(roundTrip(s, address, new byte[] {8})).containsExactly(8);
        // A new session means a new upstream socket, seen by the backend as a second peer.
        assertThat(backend.peers).hasSize(2);
        assertThat(h.metric("kedge_agent_proxy_udp_sessions_total", "dns", "udp")).isEqualTo(2);
    }

    @Test
    void tensOfThousandsOfDatagramsOverManySessionsLeaveNothingBehind() throws Exception {
        UdpEchoBackend backend = cleanup.add(new UdpEchoBackend("127.0.0.2"));
        ProxyHarness h = proxyFor(backend, ProxyHarness.config().udpIdleTimeout(Duration.ofSeconds(1)).build());
        InetSocketAddress address = h.address("dns", "dns", Protocol.UDP);
        long fdsBefore = ProxyHarness.openFileDescriptors();
        int clients = 200;
        int perClient = 100;
        byte[] payload = new byte[64];
        for (int round = 0; round < perClient; round++) {
            // Every round opens fresh client sockets half of the time: sessions come and go.
            List<DatagramSocket> sockets = new ArrayList<>();
            for (int c = 0; c < clients / 10; c++) {
                DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                s.setSoTimeout(2000);
                sockets.add(s);
            }
            try {
                for (int i = 0; i < 10; i++) {
                    for (DatagramSocket s : sockets) {
                        payload[0] = (byte) i;
                        assertThat(roundTrip(s, address, payload)[0]).isEqualTo((byte) i);
                    }
                }
            } finally {
                sockets.forEach(DatagramSocket::close);
            }
        }
        assertThat(backend.datagrams.get()).isGreaterThanOrEqualTo((long) clients * perClient);
        // One session per client socket, except where the OS handed a new socket the port of a
        // recent one whose session was still alive.
        assertThat(h.metric("kedge_agent_proxy_udp_sessions_total", "dns", "udp")).isBetween(0.9 * clients / 10 * perClient,
                (double) clients / 10 * perClient);
        await().atMost(Duration.ofSeconds(20)).until(() -> h.proxy.udpSessions() == 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.proxy.openChannels() == 1);
        assertThat(h.metric("kedge_agent_proxy_udp_sessions_active", "dns", "udp")).isZero();
        // Every upstream socket is closed again (small slack for unrelated JVM descriptors).
        await().atMost(Duration.ofSeconds(10)).until(() -> ProxyHarness.openFileDescriptors() <= fdsBefore + 5);
    }

    @Test
    void sessionCountIsBoundedAndExtraClientsAreDropped() throws Exception {
        UdpEchoBackend backend = cleanup.add(new UdpEchoBackend("127.0.0.2"));
        ProxyHarness h = proxyFor(backend, ProxyHarness.config().udpLimits(3, 8).build());
        InetSocketAddress address = h.address("dns", "dns", Protocol.UDP);
        List<DatagramSocket> served = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            DatagramSocket s = client();
            assertThat(roundTrip(s, address, new byte[] {(byte) i})).containsExactly((byte) i);
            served.add(s);
        }
        DatagramSocket extra = client();
        extra.setSoTimeout(300);
        extra.send(new DatagramPacket(new byte[] {9}, 1, address));
        DatagramPacket p = new DatagramPacket(new byte[10], 10);
        try {
            extra.receive(p);
            throw new AssertionError("a fourth session was served");
        } catch (SocketTimeoutException expected) {
            // dropped
        }
        assertThat(h.proxy.udpSessions()).isEqualTo(3);
        assertThat(h.metric("kedge_agent_proxy_udp_dropped_datagrams_total", "dns", "udp")).isEqualTo(1);
        // The served clients carry on.
        assertThat(roundTrip(served.get(0), address, new byte[] {5})).containsExactly(5);
    }

    @Test
    void sessionsToAnEndpointThatLeavesTheCatalogEndSoClientsMoveOn() throws Exception {
        UdpEchoBackend first = cleanup.add(new UdpEchoBackend("127.0.0.2"));
        UdpEchoBackend second = cleanup.add(new UdpEchoBackend("127.0.0.3"));
        ProxyHarness h = proxyFor(first, ProxyHarness.config().build());
        InetSocketAddress address = h.address("dns", "dns", Protocol.UDP);
        DatagramSocket s = client();
        assertThat(roundTrip(s, address, new byte[] {1})).containsExactly(1);
        assertThat(first.datagrams.get()).isEqualTo(1);
        h.reconcile(new TestCatalogs().put(service("dns", udp("dns", 53)), endpoint(second.ip(), "dns", second.port())).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> h.proxy.udpSessions() == 0);
        assertThat(roundTrip(s, address, new byte[] {2})).containsExactly(2);
        assertThat(second.datagrams.get()).isEqualTo(1);
        assertThat(first.datagrams.get()).isEqualTo(1);
        assertThat(h.address("dns", "dns", Protocol.UDP)).isEqualTo(address);
    }

    @Test
    void anUnreachableEndpointEndsTheSessionSoTheNextDatagramChoosesAgain() throws Exception {
        UdpEchoBackend live = cleanup.add(new UdpEchoBackend("127.0.0.3"));
        int dead;
        try (DatagramSocket gone = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0))) {
            dead = gone.getLocalPort();
        }
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build()));
        h.reconcile(new TestCatalogs().put(service("dns", udp("dns", 53)),
                endpoint("127.0.0.2", "dns", dead), endpoint(live.ip(), "dns", live.port())).build());
        InetSocketAddress address = h.address("dns", "dns", Protocol.UDP);
        DatagramSocket s = client();
        // Round robin sends the first session to the dead endpoint; ICMP ends it; a resend gets through.
        assertThat(roundTrip(s, address, new byte[] {1})).containsExactly(1);
    }
}
