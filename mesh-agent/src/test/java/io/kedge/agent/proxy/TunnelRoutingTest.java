package io.kedge.agent.proxy;

import static io.kedge.agent.proxy.TestCatalogs.endpoint;
import static io.kedge.agent.proxy.TestCatalogs.service;
import static io.kedge.agent.proxy.TestCatalogs.tcp;
import static io.kedge.agent.proxy.TestCatalogs.udp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.catalog.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Endpoints on other nodes go through the tunnel when it serves their node; everything else is dialed directly. */
class TunnelRoutingTest {
    private final Cleanup cleanup = new Cleanup();

    @AfterEach
    void cleanUp() throws Exception {
        cleanup.close();
    }

    @Test
    void remoteEndpointsGoThroughTheTunnelAndLocalOnesDoNot() throws Exception {
        TcpBackend here = cleanup.add(new TcpBackend("here", "127.0.0.2", TcpBackend.NAME));
        TcpBackend there = cleanup.add(new TcpBackend("there", "127.0.0.3", TcpBackend.NAME));
        TcpBackend unserved = cleanup.add(new TcpBackend("unserved", "127.0.0.4", TcpBackend.NAME));
        FakeTunnel tunnel = cleanup.add(new FakeTunnel("node-b"));
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build(), tunnel));
        h.reconcile(new TestCatalogs().put(service("mixed", tcp("", 80)),
                endpoint(here.ip(), TestCatalogs.NODE, "", here.port()),
                endpoint(there.ip(), "node-b", "", there.port()),
                endpoint(unserved.ip(), "node-c", "", unserved.port())).build());
        InetSocketAddress address = h.address("mixed", "", Protocol.TCP);
        Map<String, Integer> reached = new HashMap<>();
        for (int i = 0; i < 9; i++) {
            try (Socket s = new Socket()) {
                s.setSoTimeout(10_000);
                s.connect(address);
                reached.merge(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8), 1, Integer::sum);
            }
        }
        assertThat(reached).containsOnly(Map.entry("here\n", 3), Map.entry("there\n", 3), Map.entry("unserved\n", 3));
        assertThat(tunnel.opened).hasSize(3).allSatisfy(o -> {
            assertThat(o.node()).isEqualTo("node-b");
            assertThat(o.target()).isEqualTo(new InetSocketAddress(there.ip(), there.port()));
            assertThat(o.protocol()).isEqualTo(Protocol.TCP);
        });
    }

    @Test
    void bulkDataCrossesTheTunnelIntact() throws Exception {
        TcpBackend there = cleanup.add(new TcpBackend("there", "127.0.0.3", TcpBackend.ECHO));
        FakeTunnel tunnel = cleanup.add(new FakeTunnel("node-b"));
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build(), tunnel));
        h.reconcile(new TestCatalogs().put(service("echo", tcp("", 80)), endpoint(there.ip(), "node-b", "", there.port())).build());
        byte[] data = new byte[8 << 20];
        new Random(5).nextBytes(data);
        try (Socket s = new Socket()) {
            s.setSoTimeout(20_000);
            s.connect(h.address("echo", "", Protocol.TCP));
            CompletableFuture<byte[]> back = CompletableFuture.supplyAsync(() -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buf = new byte[65536];
                try {
                    for (int got = 0; got < data.length; ) {
                        int n = s.getInputStream().read(buf);
                        if (n < 0) {
                            break;
                        }
                        out.write(buf, 0, n);
                        got += n;
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
                return out.toByteArray();
            });
            s.getOutputStream().write(data);
            assertThat(Arrays.equals(back.get(30, TimeUnit.SECONDS), data)).isTrue();
        }
        assertThat(tunnel.opened).hasSize(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.proxy.openChannels() == 1);
    }

    @Test
    void datagramsKeepTheirBoundariesThroughTheTunnel() throws Exception {
        UdpEchoBackend there = cleanup.add(new UdpEchoBackend("127.0.0.3"));
        FakeTunnel tunnel = cleanup.add(new FakeTunnel("node-b"));
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build(), tunnel));
        h.reconcile(new TestCatalogs().put(service("dns", udp("dns", 53)), endpoint(there.ip(), "node-b", "dns", there.port())).build());
        InetSocketAddress address = h.address("dns", "dns", Protocol.UDP);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(5000);
            Random random = new Random(2);
            byte[][] sent = new byte[40][];
            for (int i = 0; i < sent.length; i++) {
                sent[i] = new byte[i % 2 == 0 ? 1 : 1400];
                random.nextBytes(sent[i]);
                s.send(new DatagramPacket(sent[i], sent[i].length, address));
            }
            byte[] buf = new byte[65535];
            for (byte[] expected : sent) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                assertThat(Arrays.copyOfRange(p.getData(), 0, p.getLength())).isEqualTo(expected);
            }
        }
        assertThat(tunnel.opened).containsExactly(new FakeTunnel.Opened("node-b", new InetSocketAddress(there.ip(), there.port()),
                Protocol.UDP));
        assertThat(there.datagrams.get()).isEqualTo(40);
    }
}
