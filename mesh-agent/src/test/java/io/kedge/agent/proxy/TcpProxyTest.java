package io.kedge.agent.proxy;

import static io.kedge.agent.proxy.TestCatalogs.endpoint;
import static io.kedge.agent.proxy.TestCatalogs.service;
import static io.kedge.agent.proxy.TestCatalogs.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.catalog.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TcpProxyTest {
    private final Cleanup cleanup = new Cleanup();

    @AfterEach
    void cleanUp() throws Exception {
        cleanup.close();
    }

    private ProxyHarness proxy(ProxyConfig config) {
        return cleanup.add(new ProxyHarness(config));
    }

    private TcpBackend backend(String name, String ip, TcpBackend.Handler handler) throws IOException {
        return cleanup.add(new TcpBackend(name, ip, handler));
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(20_000);
        s.connect(address, 5000);
        return s;
    }

    private static String readAll(Socket s) throws IOException {
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    /** A port on {@code ip} where nothing listens. */
    private static int deadPort(String ip) throws IOException {
        try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getByName(ip))) {
            return ss.getLocalPort();
        }
    }

    @Test
    void largeTransferBothWaysArrivesIntactAndBackpressureHoldsTheSender() throws Exception {
        long total = 128L * 1024 * 1024;
        AtomicLong sent = new AtomicLong();
        byte[] seedBlock = new byte[64 * 1024];
        new Random(1).nextBytes(seedBlock);
        CompletableFuture<byte[]> uploadDigest = new CompletableFuture<>();
        // The backend digests what it receives while sending its own stream as fast as it can.
        TcpBackend backend = backend("source", "127.0.0.2", (s, b) -> {
            s.setSendBufferSize(64 * 1024);
            Thread reader = new Thread(() -> {
                try {
                    uploadDigest.complete(digest(s.getInputStream()));
                } catch (Exception e) {
                    uploadDigest.completeExceptionally(e);
                }
            });
            reader.setDaemon(true);
            reader.start();
            OutputStream out = s.getOutputStream();
            for (long off = 0; off < total; off += seedBlock.length) {
                out.write(seedBlock);
                sent.addAndGet(seedBlock.length);
            }
            s.shutdownOutput();
            try {
                reader.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        ProxyHarness h = proxy(ProxyHarness.config().build());
        h.reconcile(new TestCatalogs().put(service("bulk", tcp("data", 9000)), endpoint(backend.ip(), "data", backend.port())).build());

        Socket client = new Socket();
        client.setReceiveBufferSize(64 * 1024);
        client.setSoTimeout(30_000);
        client.connect(h.address("bulk", "data", Protocol.TCP));
        // Not reading yet: the backend must get stuck once the buffers on the way are full.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            long before = sent.get();
            Thread.sleep(400);
            return before > 0 && sent.get() == before;
        });
        long stalledAt = sent.get();
        assertThat(stalledAt).as("bytes the backend could send while the client read nothing").isLessThan(total / 2);

        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        for (long off = 0; off < total; off += seedBlock.length) {
            expected.update(seedBlock);
        }
        byte[] expectedDigest = expected.digest();
        CompletableFuture<byte[]> download = CompletableFuture.supplyAsync(() -> {
            try {
                return digest(client.getInputStream());
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        OutputStream out = client.getOutputStream();
        for (long off = 0; off < total; off += seedBlock.length) {
            out.write(seedBlock);
        }
        client.shutdownOutput();
        assertThat(download.get(60, TimeUnit.SECONDS)).isEqualTo(expectedDigest);
        assertThat(uploadDigest.get(60, TimeUnit.SECONDS)).isEqualTo(expectedDigest);
        client.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> h.metric("kedge_agent_proxy_connections_active", "bulk", "tcp") == 0);
        assertThat(h.proxy.openChannels()).isEqualTo(1);
    }

    private static byte[] digest(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            md.update(buf, 0, n);
        }
        return md.digest();
    }

    @Test
    void halfCloseFromTheClientLetsTheResponseThrough() throws Exception {
        // The backend answers only once the client has finished sending (like `nc -q`, HTTP/1.0 and rsh).
        TcpBackend backend = backend("counter", "127.0.0.2", (s, b) -> {
            long n = s.getInputStream().transferTo(OutputStream.nullOutputStream());
            s.getOutputStream().write(("received " + n + "\n").getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
        });
        ProxyHarness h = proxy(ProxyHarness.config().build());
        h.reconcile(new TestCatalogs().put(service("count", tcp("", 7000)), endpoint(backend.ip(), "", backend.port())).build());
        try (Socket s = connect(h.address("count", "", Protocol.TCP))) {
            s.getOutputStream().write(new byte[100_000]);
            s.shutdownOutput();
            assertThat(readAll(s)).isEqualTo("received 100000\n");
        }
    }

    @Test
    void halfCloseFromTheBackendLetsTheClientKeepSending() throws Exception {
        TcpBackend backend = backend("greeter", "127.0.0.2", (s, b) -> {
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            long n = s.getInputStream().transferTo(OutputStream.nullOutputStream());
            b.accepted.addAndGet((int) n * 1000);
        });
        ProxyHarness h = proxy(ProxyHarness.config().build());
        h.reconcile(new TestCatalogs().put(service("greet", tcp("", 7000)), endpoint(backend.ip(), "", backend.port())).build());
        try (Socket s = connect(h.address("greet", "", Protocol.TCP))) {
            assertThat(readAll(s)).isEqualTo("hello\n");
            // Our input has ended, but the other direction is still open.
            s.getOutputStream().write(new byte[7]);
            s.shutdownOutput();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.accepted.get() == 1 + 7000);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.proxy.openChannels() == 1);
    }

    @Test
    void deadFirstEndpointIsRetriedOnTheNextOne() throws Exception {
        TcpBackend live = backend("live", "127.0.0.3", TcpBackend.NAME);
        ProxyHarness h = proxy(ProxyHarness.config().build());
        h.reconcile(new TestCatalogs().put(service("retry", tcp("", 80)),
                endpoint("127.0.0.2", "", deadPort("127.0.0.2")), endpoint(live.ip(), "", live.port())).build());
        InetSocketAddress address = h.address("retry", "", Protocol.TCP);
        for (int i = 0; i < 10; i++) {
            try (Socket s = connect(address)) {
                assertThat(readAll(s)).isEqualTo("live\n");
            }
        }
        assertThat(live.accepted.get()).isEqualTo(10);
        assertThat(h.metric("kedge_agent_proxy_upstream_connect_failures_total", "retry", "tcp")).isGreaterThanOrEqualTo(5);
        assertThat(h.metric("kedge_agent_proxy_retries_total", "retry", "tcp")).isGreaterThanOrEqualTo(5);
    }

    @Test
    void whenNoEndpointAnswersTheClientIsResetAfterBoundedAttempts() throws Exception {
        ProxyHarness h = proxy(ProxyHarness.config().retries(4, Duration.ofMillis(10)).build());
        h.reconcile(new TestCatalogs().put(service("dead", tcp("", 80)),
                endpoint("127.0.0.2", "", deadPort("127.0.0.2")), endpoint("127.0.0.3", "", deadPort("127.0.0.3"))).build());
        try (Socket s = connect(h.address("dead", "", Protocol.TCP))) {
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(IOException.class);
        }
        assertThat(h.metric("kedge_agent_proxy_upstream_connect_failures_total", "dead", "tcp")).isEqualTo(4);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.proxy.openChannels() == 1);
    }

    @Test
    void serviceWithoutEndpointsRefusesAndCounts() throws Exception {
        ProxyHarness h = proxy(ProxyHarness.config().build());
        h.reconcile(new TestCatalogs().put(service("empty", tcp("", 80))).build());
        // Reset at once: the client may even see it while its connect() completes.
        assertThatThrownBy(() -> {
            try (Socket s = connect(h.address("empty", "", Protocol.TCP))) {
                if (s.getInputStream().read() < 0) {
                    throw new IOException("closed");
                }
            }
        }).isInstanceOf(IOException.class);
        assertThat(h.metric("kedge_agent_proxy_no_endpoint_total", "empty", "tcp")).isEqualTo(1);
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        TcpBackend backend = backend("echo", "127.0.0.2", TcpBackend.ECHO);
        ProxyHarness h = proxy(ProxyHarness.config().tcpIdleTimeout(Duration.ofMillis(800)).build());
        h.reconcile(new TestCatalogs().put(service("idle", tcp("", 80)), endpoint(backend.ip(), "", backend.port())).build());
        try (Socket s = connect(h.address("idle", "", Protocol.TCP))) {
            s.getOutputStream().write("ping".getBytes(StandardCharsets.UTF_8));
            byte[] pong = s.getInputStream().readNBytes(4);
            assertThat(new String(pong, StandardCharsets.UTF_8)).isEqualTo("ping");
            // Then silence: the proxy closes both sides.
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.open() == 0 && h.proxy.openChannels() == 1);
    }

    @Test
    void newConnectionsFailOverToTheSurvivorWhenABackendDies() throws Exception {
        TcpBackend a = backend("a", "127.0.0.2", TcpBackend.NAME);
        TcpBackend b = backend("b", "127.0.0.3", TcpBackend.NAME);
        ProxyHarness h = proxy(ProxyHarness.config().build());
        h.reconcile(new TestCatalogs().put(service("ha", tcp("", 80)),
                endpoint(a.ip(), "", a.port()), endpoint(b.ip(), "", b.port())).build());
        InetSocketAddress address = h.address("ha", "", Protocol.TCP);
        Map<String, Integer> before = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            try (Socket s = connect(address)) {
                before.merge(readAll(s), 1, Integer::sum);
            }
        }
        assertThat(before).containsOnly(Map.entry("a\n", 5), Map.entry("b\n", 5));
        // An established connection to a stays up until a dies.
        Socket held = connect(address);
        a.kill();
        Map<String, Integer> after = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            try (Socket s = connect(address)) {
                after.merge(readAll(s), 1, Integer::sum);
            }
        }
        assertThat(after).containsOnly(Map.entry("b\n", 10));
        held.close();
    }

    @Test
    void clientIpAffinityKeepsAClientOnOneEndpoint() throws Exception {
        TcpBackend a = backend("a", "127.0.0.2", TcpBackend.NAME);
        TcpBackend b = backend("b", "127.0.0.3", TcpBackend.NAME);
        ProxyHarness h = proxy(ProxyHarness.config().build());
        h.reconcile(new TestCatalogs().put(service("sticky", io.kedge.agent.catalog.LoadBalancerPolicy.DEFAULT,
                io.kedge.agent.catalog.SessionAffinity.clientIp(60), tcp("", 80)),
                endpoint(a.ip(), "", a.port()), endpoint(b.ip(), "", b.port())).build());
        InetSocketAddress address = h.address("sticky", "", Protocol.TCP);
        Map<String, Integer> reached = new HashMap<>();
        for (int i = 0; i < 8; i++) {
            try (Socket s = connect(address)) {
                reached.merge(readAll(s), 1, Integer::sum);
            }
        }
        assertThat(reached).hasSize(1).containsValue(8);
    }

    @Test
    void leastRequestSendsNewConnectionsToTheLessBusyEndpoint() throws Exception {
        TcpBackend a = backend("a", "127.0.0.2", TcpBackend.ECHO);
        TcpBackend b = backend("b", "127.0.0.3", TcpBackend.ECHO);
        ProxyHarness h = proxy(ProxyHarness.config().build());
        io.kedge.agent.catalog.LoadBalancerPolicy least = new io.kedge.agent.catalog.LoadBalancerPolicy(
                io.kedge.agent.catalog.LoadBalancerPolicy.Kind.LEAST_REQUEST, null, "test");
        h.reconcile(new TestCatalogs().put(service("least", least, io.kedge.agent.catalog.SessionAffinity.NONE, tcp("", 80)),
                endpoint(a.ip(), "", a.port()), endpoint(b.ip(), "", b.port())).build());
        InetSocketAddress address = h.address("least", "", Protocol.TCP);
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                Socket s = connect(address);
                held.add(s);
                // Wait until the connection is established through to its endpoint.
                s.getOutputStream().write(1);
                assertThat(s.getInputStream().read()).isEqualTo(1);
            }
            // With two endpoints both are compared every time: the open connections alternate.
            assertThat(a.open()).isEqualTo(3);
            assertThat(b.open()).isEqualTo(3);
            // Free a's connections: the next ones go to a until it is as busy as b.
            for (int i = 0; i < held.size(); i++) {
                if (i % 2 == 0) {
                    held.get(i).close();
                }
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> a.open() + b.open() == 3);
            for (int i = 0; i < 2; i++) {
                Socket s = connect(address);
                held.add(s);
                s.getOutputStream().write(1);
                assertThat(s.getInputStream().read()).isEqualTo(1);
            }
            assertThat(Math.abs(a.open() - b.open())).isLessThanOrEqualTo(1);
            assertThat(a.open() + b.open()).isEqualTo(5);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void resetByTheBackendReachesTheClientAsAReset() throws Exception {
        TcpBackend backend = backend("rude", "127.0.0.2", (s, b) -> {
            s.getInputStream().read();
            s.setSoLinger(true, 0);
            s.close();
        });
        ProxyHarness h = proxy(ProxyHarness.config().build());
        h.reconcile(new TestCatalogs().put(service("rude", tcp("", 80)), endpoint(backend.ip(), "", backend.port())).build());
        try (Socket s = connect(h.address("rude", "", Protocol.TCP))) {
            s.getOutputStream().write(1);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(java.net.SocketException.class)
                    .hasMessageContaining("reset");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> h.proxy.openChannels() == 1);
    }

    @Test
    void largeEchoThroughManyConcurrentConnections() throws Exception {
        TcpBackend backend = backend("echo", "127.0.0.2", TcpBackend.ECHO);
        ProxyHarness h = proxy(ProxyHarness.config().build());
        h.reconcile(new TestCatalogs().put(service("echo", tcp("", 80)), endpoint(backend.ip(), "", backend.port())).build());
        InetSocketAddress address = h.address("echo", "", Protocol.TCP);
        List<CompletableFuture<Boolean>> runs = new ArrayList<>();
        for (int c = 0; c < 20; c++) {
            int seed = c;
            runs.add(CompletableFuture.supplyAsync(() -> {
                byte[] data = new byte[1 << 20];
                new Random(seed).nextBytes(data);
                try (Socket s = connect(address)) {
                    CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
                        try {
                            ByteArrayOutputStream got = new ByteArrayOutputStream();
                            s.getInputStream().transferTo(got);
                            return got.toByteArray();
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    });
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                    return java.util.Arrays.equals(echoed.get(30, TimeUnit.SECONDS), data);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (CompletableFuture<Boolean> r : runs) {
            assertThat(r.get(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(h.metric("kedge_agent_proxy_connections_total", "echo", "tcp")).isEqualTo(20);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.proxy.openChannels() == 1);
    }
}
