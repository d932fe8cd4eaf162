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
    void aTunnelStreamClosedBeforeTheHandOverEndsTheClientConnection() throws Exception {
        TcpBackend there = cleanup.add(new TcpBackend("there", "127.0.0.3", TcpBackend.NAME));
        // The peer agent refused or the tunnel went down between opening the stream and handing it over.
        io.kedge.agent.tunnel.Tunnel closing = new io.kedge.agent.tunnel.Tunnel() {
            @Override
            public boolean serves(String nodeName) {
                return true;
            }

            @Override
            public io.netty.util.concurrent.Future<io.netty.channel.Channel> open(String nodeName, InetSocketAddress target,
                                                                                 Protocol protocol, io.netty.channel.EventLoop loop) {
                io.netty.channel.embedded.EmbeddedChannel stream = new io.netty.channel.embedded.EmbeddedChannel();
                stream.close();
                return loop.newSucceededFuture(stream);
            }
        };
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build(), closing));
        h.reconcile(new TestCatalogs().put(service("gone", tcp("", 80)), endpoint(there.ip(), "node-b", "", there.port())).build());
        try (Socket s = new Socket()) {
            s.setSoTimeout(10_000);
            s.connect(h.address("gone", "", Protocol.TCP));
            // Reset (no endpoint could be reached) or an orderly end; never a client left waiting.
            try {
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            } catch (java.net.SocketException reset) {
                assertThat(reset).hasMessageContaining("reset");
            }
        }
    }

    @Test
    void bulkDataCrossesTheTunnelIntact() throws Exception {
        FakeTunnel tunnel = cleanup.add(new FakeTunnel("node-b"));
        ProxyHarness h = echoOnNodeB(tunnel);
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

    /**
     * A tunnel stream on another event loop that cannot send (a QUIC stream whose connection is
     * congested) stays writable while the proxy's writes queue for its loop: the proxy stops reading
     * its client with a bounded number of bytes in flight, and everything arrives once the stream
     * drains. Without the bound a fast client filled the agent's direct memory.
     */
    @Test
    void aStalledTunnelStreamStopsTheProxyReadingItsClient() throws Exception {
        FakeTunnel tunnel = cleanup.add(new FakeTunnel("node-b"));
        ProxyHarness h = echoOnNodeB(tunnel);
        byte[] data = new byte[16 << 20];
        new Random(7).nextBytes(data);
        tunnel.stall(true);
        try (Socket s = new Socket()) {
            s.setSoTimeout(30_000);
            s.connect(h.address("echo", "", Protocol.TCP));
            CompletableFuture<byte[]> back = CompletableFuture.supplyAsync(() -> {
                try {
                    return s.getInputStream().readNBytes(data.length);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    s.getOutputStream().write(data);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> tunnel.heldBytes() > 0);
            // The client keeps writing; the proxy holds at most its bound plus one read in flight.
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> tunnel.heldBytes() <= io.kedge.agent.proxy.tcp.RelayHandler.CROSS_LOOP_HIGH + (1 << 20));
            assertThat(sent).isNotDone();
            tunnel.stall(false);
            sent.get(30, TimeUnit.SECONDS);
            assertThat(Arrays.equals(back.get(30, TimeUnit.SECONDS), data)).isTrue();
        }
    }

    /** The same for an HTTP request body on its way to an endpoint through a stalled tunnel stream. */
    @Test
    void aStalledTunnelStreamStopsTheProxyReadingARequestBody(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        HttpBackend there = cleanup.add(new HttpBackend("there", "127.0.0.3"));
        FakeTunnel tunnel = cleanup.add(new FakeTunnel("node-b"));
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build(), tunnel));
        h.reconcile(new TestCatalogs().put(service("web", TestCatalogs.http(80)), endpoint(there.ip(), "node-b", "http", there.port())).build());
        InetSocketAddress listener = h.address("web", "http", Protocol.TCP);
        byte[] data = new byte[16 << 20];
        new Random(8).nextBytes(data);
        java.nio.file.Path upload = tmp.resolve("upload.bin");
        java.nio.file.Files.write(upload, data);
        String expected = "length=" + data.length + " sha256="
                + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
        tunnel.stall(true);
        CompletableFuture<String> answer = CompletableFuture.supplyAsync(() ->
                Curl.get(listener, "/upload", "-H", "Expect:", "--data-binary", "@" + upload));
        await().atMost(Duration.ofSeconds(10)).until(() -> tunnel.heldBytes() > 0);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                .until(() -> tunnel.heldBytes() <= io.kedge.agent.proxy.tcp.RelayHandler.CROSS_LOOP_HIGH + (1 << 20));
        tunnel.stall(false);
        assertThat(answer.get(30, TimeUnit.SECONDS).strip()).isEqualTo(expected);
    }

    /** A proxy whose Service "echo" (TCP 80) has its one endpoint, a TCP echo, on node-b behind {@code tunnel}. */
    private ProxyHarness echoOnNodeB(FakeTunnel tunnel) throws Exception {
        TcpBackend there = cleanup.add(new TcpBackend("there", "127.0.0.3", TcpBackend.ECHO));
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build(), tunnel));
        h.reconcile(new TestCatalogs().put(service("echo", tcp("", 80)), endpoint(there.ip(), "node-b", "", there.port())).build());
        return h;
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

    /**
     * HTTP requests balanced over a local endpoint and one behind the tunnel. Tunnel streams live on
     * the tunnel's own event loop, not the client connection's, so the HTTP exchange must not assume
     * both ends share a thread: sequential, keep-alive and concurrent requests all get their answers.
     */
    @Test
    void httpRequestsCrossTheTunnelSequentiallyAndConcurrently() throws Exception {
        HttpBackend here = cleanup.add(new HttpBackend("here", "127.0.0.2"));
        HttpBackend there = cleanup.add(new HttpBackend("there", "127.0.0.3"));
        FakeTunnel tunnel = cleanup.add(new FakeTunnel("node-b"));
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build(), tunnel));
        h.reconcile(new TestCatalogs().put(service("web", TestCatalogs.http(80)),
                endpoint(here.ip(), TestCatalogs.NODE, "http", here.port()),
                endpoint(there.ip(), "node-b", "http", there.port())).build());
        InetSocketAddress listener = h.address("web", "http", Protocol.TCP);
        java.util.regex.Pattern backend = java.util.regex.Pattern.compile("backend=(\\w+)");

        Map<String, Integer> reached = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            java.util.regex.Matcher m = backend.matcher(Curl.get(listener, "/"));
            assertThat(m.find()).isTrue();
            reached.merge(m.group(1), 1, Integer::sum);
        }
        assertThat(reached).containsOnly(Map.entry("here", 10), Map.entry("there", 10));

        // Many requests on one connection, then many connections at once.
        String url = Curl.url(listener, "/");
        String[] keepAlive = new String[12];
        Arrays.fill(keepAlive, url);
        io.kedge.common.exec.CommandResult r = Curl.run(concat(new String[] {"--fail", "-w", "#%{http_code} %{size_download}\\n"}, keepAlive));
        assertThat(r.ok()).as(r.stderr()).isTrue();
        assertThat(backend.matcher(r.stdout()).results().count()).as(r.stdout()).isEqualTo(12);
        String[] parallel = new String[40];
        Arrays.fill(parallel, url);
        r = Curl.run(concat(new String[] {"--fail", "--parallel", "--parallel-max", "16"}, parallel));
        assertThat(r.ok()).as(r.stderr()).isTrue();
        assertThat(backend.matcher(r.stdout()).results().map(m -> m.group(1)).distinct()).containsExactlyInAnyOrder("here", "there");
        assertThat(backend.matcher(r.stdout()).results().count()).as(r.stdout()).isEqualTo(40);
        assertThat(tunnel.opened).isNotEmpty().allSatisfy(o -> assertThat(o.node()).isEqualTo("node-b"));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
