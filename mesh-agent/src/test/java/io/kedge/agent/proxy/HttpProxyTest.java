package io.kedge.agent.proxy;

import static io.kedge.agent.proxy.TestCatalogs.endpoint;
import static io.kedge.agent.proxy.TestCatalogs.http;
import static io.kedge.agent.proxy.TestCatalogs.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.LoadBalancerPolicy;
import io.kedge.agent.catalog.LoadBalancerPolicy.HashKey;
import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.SessionAffinity;
import io.kedge.common.exec.CommandResult;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpProxyTest {
    private static final Pattern BACKEND = Pattern.compile("backend=(\\w+)");
    private final Cleanup cleanup = new Cleanup();
    private final TestCatalogs catalogs = new TestCatalogs();

    @TempDir
    Path tmp;

    @AfterEach
    void cleanUp() throws Exception {
        cleanup.close();
    }

    private HttpBackend backend(String name, String ip) throws IOException {
        return cleanup.add(new HttpBackend(name, ip));
    }

    /** A proxy with one I/O thread, so that each endpoint needs exactly one upstream connection. */
    private ProxyHarness proxy() {
        return cleanup.add(new ProxyHarness(ProxyHarness.config().ioThreads(1).build()));
    }

    /** A proxy with Service default/web (port "http") over {@code backends}. */
    private ProxyHarness web(HttpBackend... backends) {
        ProxyHarness h = proxy();
        h.reconcile(catalogs.put(service("web", http(80)), java.util.Arrays.stream(backends).map(HttpProxyTest::ep)
                .toArray(Endpoint[]::new)).build());
        return h;
    }

    private static Endpoint ep(HttpBackend b) {
        return endpoint(b.ip(), "http", b.port());
    }

    private static List<String> backendsIn(String body) {
        List<String> names = new ArrayList<>();
        Matcher m = BACKEND.matcher(body);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static Map<String, Integer> tally(List<String> names) {
        Map<String, Integer> counts = new HashMap<>();
        names.forEach(n -> counts.merge(n, 1, Integer::sum));
        return counts;
    }

    private static int deadPort(String ip) throws IOException {
        try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getByName(ip))) {
            return ss.getLocalPort();
        }
    }

    @Test
    void requestsAreBalancedOneByOneOverKeptAliveUpstreamConnections() throws Exception {
        HttpBackend a = backend("a", "127.0.0.2");
        HttpBackend b = backend("b", "127.0.0.3");
        ProxyHarness h = web(a, b);
        InetSocketAddress listener = h.address("web", "http", Protocol.TCP);

        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            seen.addAll(backendsIn(Curl.get(listener, "/")));
        }
        assertThat(tally(seen)).containsOnly(Map.entry("a", 10), Map.entry("b", 10));
        // Twenty client connections, but each endpoint saw one upstream connection, reused.
        assertThat(a.connections).hasSize(1);
        assertThat(b.connections).hasSize(1);

        // One client connection carrying six requests: balanced per request, not per connection.
        String url = Curl.url(listener, "/");
        CommandResult r = Curl.run("--fail", url, url, url, url, url, url);
        assertThat(r.ok()).as(r.stderr()).isTrue();
        assertThat(backendsIn(r.stdout())).containsExactly("a", "b", "a", "b", "a", "b");
        assertThat(a.connections).hasSize(1);
        assertThat(b.connections).hasSize(1);
        assertThat(h.metric("kedge_agent_proxy_requests_total", "web", "http")).isEqualTo(26);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.metric("kedge_agent_proxy_requests_active", "web", "http") == 0);
    }

    @Test
    void connectFailuresAreRetriedOnTheNextEndpoint() throws Exception {
        HttpBackend live = backend("live", "127.0.0.3");
        ProxyHarness h = proxy();
        h.reconcile(catalogs.put(service("web", http(80)), endpoint("127.0.0.2", "http", deadPort("127.0.0.2")), ep(live)).build());
        InetSocketAddress listener = h.address("web", "http", Protocol.TCP);
        for (int i = 0; i < 6; i++) {
            assertThat(backendsIn(Curl.get(listener, "/"))).containsExactly("live");
        }
        // A POST too: nothing had been sent when the connect failed.
        CommandResult post = Curl.run("--fail", "-d", "payload", Curl.url(listener, "/"));
        assertThat(post.stdout()).contains("backend=live").contains("request=POST /");
        assertThat(h.metric("kedge_agent_proxy_retries_total", "web", "http")).isGreaterThanOrEqualTo(3);
    }

    @Test
    void anIdempotentRequestOnAConnectionTheEndpointJustClosedIsRetried() throws Exception {
        // Answers the first request of each connection and keeps it open, but drops the connection
        // without a word when a second request comes on it (as a server whose keep-alive timer fired).
        TcpBackend flaky = cleanup.add(new TcpBackend("flaky", "127.0.0.2", (socket, b) -> {
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII));
            for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
                // request head
            }
            socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n".getBytes(StandardCharsets.US_ASCII));
            in.readLine();
        }));
        ProxyHarness h = proxy();
        h.reconcile(catalogs.put(service("web", http(80)), endpoint(flaky.ip(), "http", flaky.port())).build());
        InetSocketAddress listener = h.address("web", "http", Protocol.TCP);
        for (int i = 0; i < 4; i++) {
            assertThat(Curl.get(listener, "/")).isEqualTo("ok\n");
        }
        // Requests 2 to 4 each found the pooled connection dead and went on a fresh one.
        assertThat(flaky.accepted.get()).isEqualTo(4);
        assertThat(h.metric("kedge_agent_proxy_retries_total", "web", "http")).isEqualTo(3);
        // A POST with a body is not retried: the endpoint may have acted on it.
        CommandResult post = Curl.run("-w", "%{http_code}", "-d", "x", Curl.url(listener, "/"));
        assertThat(post.stdout()).isEqualTo("upstream closed the connection before responding\n502");
    }

    @Test
    void failuresAreAnsweredWithAStatusAndAReason() throws Exception {
        ProxyHarness h = proxy();
        h.reconcile(catalogs.put(service("empty", http(80)))
                .put(service("dead", http(80)), endpoint("127.0.0.2", "http", deadPort("127.0.0.2"))).build());
        CommandResult none = Curl.run("-w", "%{http_code}", Curl.url(h.address("empty", "http", Protocol.TCP), "/"));
        assertThat(none.stdout()).startsWith("no endpoints available for default/empty:http").endsWith("503");
        CommandResult dead = Curl.run("-w", "%{http_code}", Curl.url(h.address("dead", "http", Protocol.TCP), "/"));
        assertThat(dead.stdout()).startsWith("upstream connect failed for default/dead:http").endsWith("502");
        assertThat(h.metric("kedge_agent_proxy_no_endpoint_total", "empty", "http")).isEqualTo(1);
        // The client connection survives an error: two requests on one connection both get answers.
        String url = Curl.url(h.address("empty", "http", Protocol.TCP), "/");
        CommandResult twice = Curl.run("-w", "%{http_code} %{num_connects}\n", url, url);
        assertThat(twice.stdout()).contains("503 1").contains("503 0");
    }

    @Test
    void forwardedHeadersAreAddedAndHopByHopHeadersDropped() throws Exception {
        HttpBackend a = backend("a", "127.0.0.2");
        ProxyHarness h = web(a);
        String body = Curl.get(h.address("web", "http", Protocol.TCP), "/path?q=1", "-H", "X-Forwarded-For: 203.0.113.9",
                "-H", "Host: web.example", "-H", "Connection: keep-alive, X-Secret", "-H", "X-Secret: hop", "-H", "Keep-Alive: timeout=5");
        assertThat(body).contains("request=GET /path?q=1\n")
                .contains("x-forwarded-for: 203.0.113.9, 127.0.0.1\n")
                .contains("x-forwarded-proto: http\n")
                .contains("x-forwarded-host: web.example\n")
                .contains("host: web.example\n")
                .doesNotContain("x-secret")
                .doesNotContain("keep-alive: timeout");
    }

    @Test
    void chunkedUploadsAndDownloadsArriveIntact() throws Exception {
        HttpBackend a = backend("a", "127.0.0.2");
        ProxyHarness h = web(a);
        InetSocketAddress listener = h.address("web", "http", Protocol.TCP);

        byte[] data = new byte[12 * 1024 * 1024 + 17];
        new Random(9).nextBytes(data);
        Path upload = tmp.resolve("upload.bin");
        Files.write(upload, data);
        String expected = "length=" + data.length + " sha256=" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        // Chunked request body (curl also sends "Expect: 100-continue" for a body this size).
        assertThat(Curl.get(listener, "/upload", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + upload).strip())
                .isEqualTo(expected);
        // And with a Content-Length.
        assertThat(Curl.get(listener, "/upload", "--data-binary", "@" + upload).strip()).isEqualTo(expected);

        long size = 20L * 1024 * 1024 + 3;
        Path download = tmp.resolve("download.bin");
        CommandResult r = Curl.run("--fail", "-o", download.toString(), "-w", "%{http_version}", Curl.url(listener, "/stream?bytes=" + size));
        assertThat(r.ok()).as(r.stderr()).isTrue();
        assertThat(Files.size(download)).isEqualTo(size);
        try (InputStream in = Files.newInputStream(download)) {
            byte[] buf = new byte[65536];
            long i = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int k = 0; k < n; k++, i++) {
                    if (buf[k] != HttpBackend.pattern(i)) {
                        throw new AssertionError("byte " + i + " differs");
                    }
                }
            }
        }
        // An HTTP/1.0 client cannot take chunks: it gets the body raw, ended by the close.
        Path old = tmp.resolve("old.bin");
        assertThat(Curl.run("--fail", "--http1.0", "-o", old.toString(), Curl.url(listener, "/stream?bytes=100000")).ok()).isTrue();
        assertThat(Files.size(old)).isEqualTo(100000);
    }

    @Test
    void headRequestsAndPipelinedRequestsAreAnsweredInOrder() throws Exception {
        HttpBackend a = backend("a", "127.0.0.2");
        HttpBackend b = backend("b", "127.0.0.3");
        ProxyHarness h = web(a, b);
        InetSocketAddress listener = h.address("web", "http", Protocol.TCP);
        CommandResult head = Curl.run("--fail", "-I", Curl.url(listener, "/"));
        assertThat(head.stdout()).startsWith("HTTP/1.1 200").containsIgnoringCase("x-backend:");

        try (Socket s = new Socket()) {
            s.setSoTimeout(10_000);
            s.connect(listener);
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < 5; i++) {
                requests.append("GET /r").append(i).append(" HTTP/1.1\r\nHost: web\r\n\r\n");
            }
            requests.append("GET /last HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n");
            s.getOutputStream().write(requests.toString().getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            List<String> order = new ArrayList<>();
            Matcher m = Pattern.compile("request=GET (/\\w+)").matcher(all);
            while (m.find()) {
                order.add(m.group(1));
            }
            assertThat(order).containsExactly("/r0", "/r1", "/r2", "/r3", "/r4", "/last");
            assertThat(backendsIn(all)).containsOnly("a", "b").hasSize(6);
        }
    }

    @Test
    void aClientThatHalfClosesGetsEveryPipelinedAnswerAndThenTheEnd() throws Exception {
        HttpBackend a = backend("a", "127.0.0.2");
        ProxyHarness h = web(a);
        try (Socket s = new Socket()) {
            s.setSoTimeout(10_000);
            s.connect(h.address("web", "http", Protocol.TCP));
            s.getOutputStream().write("GET /one HTTP/1.1\r\nHost: web\r\n\r\nGET /two HTTP/1.1\r\nHost: web\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            // Both answers, then the end of the stream (not an idle connection left open).
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(all).contains("request=GET /one").contains("request=GET /two");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> h.metric("kedge_agent_proxy_connections_active", "web", "http") == 0);
    }

    @Test
    void pooledConnectionsToAnEndpointThatLeavesAreClosed() throws Exception {
        // A minimal keep-alive HTTP server whose open connections can be counted.
        TcpBackend keepAlive = cleanup.add(new TcpBackend("keep", "127.0.0.2", (socket, b) -> {
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII));
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    return;
                }
                while (line != null && !line.isEmpty()) {
                    line = in.readLine();
                }
                socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nkeep\n".getBytes(StandardCharsets.US_ASCII));
            }
        }));
        HttpBackend other = backend("other", "127.0.0.3");
        ProxyHarness h = proxy();
        h.reconcile(catalogs.put(service("web", http(80)), endpoint(keepAlive.ip(), "http", keepAlive.port())).build());
        InetSocketAddress listener = h.address("web", "http", Protocol.TCP);
        assertThat(Curl.get(listener, "/")).isEqualTo("keep\n");
        assertThat(keepAlive.open()).isEqualTo(1);
        h.reconcile(catalogs.put(service("web", http(80)), ep(other)).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> keepAlive.open() == 0);
        assertThat(Curl.get(listener, "/")).contains("backend=other");
    }

    @Test
    void oversizedHeadsAreRefused() throws Exception {
        HttpBackend a = backend("a", "127.0.0.2");
        ProxyHarness h = web(a);
        InetSocketAddress listener = h.address("web", "http", Protocol.TCP);
        CommandResult big = Curl.run("-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Big: " + "y".repeat(20000), Curl.url(listener, "/"));
        assertThat(big.stdout()).isEqualTo("431");
        CommandResult longLine = Curl.run("-o", "/dev/null", "-w", "%{http_code}", Curl.url(listener, "/" + "z".repeat(10000)));
        assertThat(longLine.stdout()).isEqualTo("414");
        CommandResult bigResponse = Curl.run("-w", "%{http_code}", Curl.url(listener, "/big-header"));
        assertThat(bigResponse.stdout()).isEqualTo("upstream response head too large\n502");
        assertThat(Curl.get(listener, "/")).contains("backend=a");
    }

    @Test
    void webSocketsArePipedAfterTheUpgrade() throws Exception {
        WebSocketEchoBackend ws = cleanup.add(new WebSocketEchoBackend("127.0.0.2"));
        ProxyHarness h = proxy();
        h.reconcile(catalogs.put(service("chat", http(80)), endpoint(ws.ip(), "http", ws.port())).build());
        InetSocketAddress listener = h.address("chat", "http", Protocol.TCP);
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        HttpClient client = HttpClient.newHttpClient();
        WebSocket socket = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + listener.getPort() + "/ws"), new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            received.add(text.toString());
                            text.setLength(0);
                        }
                        webSocket.request(1);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
        for (String msg : List.of("hello", "x".repeat(100_000), "bye")) {
            socket.sendText(msg, true).get(10, TimeUnit.SECONDS);
            String echoed = received.poll(10, TimeUnit.SECONDS);
            assertThat(echoed).isNotNull();
            assertThat(echoed.length()).isEqualTo(msg.length() + 6);
            assertThat(echoed.equals("echo: " + msg)).as("echo of a %d-character message", msg.length()).isTrue();
        }
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.proxy.openChannels() == 1);
        assertThat(h.metric("kedge_agent_proxy_requests_active", "chat", "http")).isZero();
    }

    @Test
    void aCookieIsIssuedAndThenKeepsTheClientOnOneEndpoint() throws Exception {
        HttpBackend a = backend("a", "127.0.0.2");
        HttpBackend b = backend("b", "127.0.0.3");
        HttpBackend c = backend("c", "127.0.0.4");
        ProxyHarness h = proxy();
        LoadBalancerPolicy cookie = new LoadBalancerPolicy(LoadBalancerPolicy.Kind.CONSISTENT_HASH,
                HashKey.cookie("kedge-sticky", Duration.ofHours(1)), "test");
        h.reconcile(catalogs.put(service("web", cookie, SessionAffinity.NONE, http(80)), ep(a), ep(b), ep(c)).build());
        InetSocketAddress listener = h.address("web", "http", Protocol.TCP);
        Path jar = tmp.resolve("cookies.txt");
        CommandResult first = Curl.run("--fail", "-i", "-c", jar.toString(), Curl.url(listener, "/"));
        assertThat(first.stdout()).containsPattern("(?i)set-cookie: kedge-sticky=[0-9a-f]{24}; Max-Age=3600; Expires=[^;]+; Path=/; HTTPOnly");
        String home = backendsIn(first.stdout()).get(0);
        for (int i = 0; i < 8; i++) {
            String body = Curl.get(listener, "/", "-b", jar.toString());
            assertThat(backendsIn(body)).containsExactly(home);
            assertThat(body).contains("cookie: kedge-sticky=");
        }
    }

    @Test
    void aPolicyChangeTakesEffectLiveOnTheSameListener() throws Exception {
        HttpBackend a = backend("a", "127.0.0.2");
        HttpBackend b = backend("b", "127.0.0.3");
        ProxyHarness h = proxy();
        Service roundRobin = service("web", http(80));
        h.reconcile(catalogs.put(roundRobin, ep(a), ep(b)).build());
        InetSocketAddress before = h.address("web", "http", Protocol.TCP);
        String url = Curl.url(before, "/");
        List<String> rr = backendsIn(Curl.run("--fail", "-H", "X-User: alice", url, url, url, url).stdout());
        assertThat(tally(rr)).containsOnly(Map.entry("a", 2), Map.entry("b", 2));

        // Keep a connection open across the change: it must not be dropped.
        Socket held = new Socket();
        held.setSoTimeout(10_000);
        held.connect(before);

        LoadBalancerPolicy byUser = new LoadBalancerPolicy(LoadBalancerPolicy.Kind.CONSISTENT_HASH, HashKey.header("X-User"), "test");
        h.reconcile(catalogs.put(roundRobin.withPolicy(byUser), ep(a), ep(b)).build());
        assertThat(h.address("web", "http", Protocol.TCP)).isEqualTo(before);
        for (String user : List.of("alice", "bob", "carol", "dave")) {
            List<String> got = backendsIn(Curl.run("--fail", "-H", "X-User: " + user, url, url, url, url, url).stdout());
            assertThat(got).hasSize(5);
            assertThat(got.stream().distinct()).as("user %s", user).hasSize(1);
        }
        held.getOutputStream().write("GET /held HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(held.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("request=GET /held");
        held.close();
    }

    @Test
    void slowClientsHoldBackTheUpstreamInsteadOfFillingMemory() throws Exception {
        HttpBackend a = backend("a", "127.0.0.2");
        ProxyHarness h = web(a);
        InetSocketAddress listener = h.address("web", "http", Protocol.TCP);
        long size = 64L * 1024 * 1024;
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(64 * 1024);
            s.setSoTimeout(30_000);
            s.connect(listener);
            s.getOutputStream().write(("GET /stream?bytes=" + size + " HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            CompletableFuture<Long> total = CompletableFuture.supplyAsync(() -> {
                try {
                    Thread.sleep(1500);
                    return s.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // Headers and chunk framing come on top of the body.
            assertThat(total.get(60, TimeUnit.SECONDS)).isGreaterThan(size);
        }
    }

    /**
     * A keep-alive HTTP/1.1 server written out by hand, for answers the JDK's server does not give:
     * {@code /expect} answers "100 Continue" before reading the body, {@code /empty} answers 204 and
     * {@code /cached} 304 (each with fields that would promise a body elsewhere), {@code /close}
     * has no length and ends by closing, {@code /later} sends its head and waits for {@link #headSeen}
     * before its body.
     */
    private final java.util.concurrent.CountDownLatch headSeen = new java.util.concurrent.CountDownLatch(1);

    private TcpBackend scripted() throws IOException {
        return cleanup.add(new TcpBackend("scripted", "127.0.0.2", (socket, b) -> {
            InputStream in = socket.getInputStream();
            java.io.OutputStream out = socket.getOutputStream();
            while (true) {
                String requestLine = readLine(in);
                if (requestLine == null) {
                    return;
                }
                int length = 0;
                boolean expect = false;
                for (String line; !(line = readLine(in)).isEmpty(); ) {
                    String lower = line.toLowerCase();
                    if (lower.startsWith("content-length:")) {
                        length = Integer.parseInt(lower.substring(15).strip());
                    }
                    expect |= lower.equals("expect: 100-continue");
                }
                String path = requestLine.split(" ")[1];
                if (expect) {
                    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                String body = new String(in.readNBytes(length), StandardCharsets.US_ASCII);
                if (path.equals("/later")) {
                    // The head now, the body once the test has seen the head.
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    try {
                        headSeen.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    out.write("later".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    continue;
                }
                String answer = switch (path) {
                    case "/empty" -> "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
                    case "/cached" -> "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n";
                    case "/close" -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
                    default -> "HTTP/1.1 200 OK\r\nContent-Length: " + (body.length() + 5) + "\r\n\r\ngot: " + body;
                };
                out.write(answer.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                if (path.equals("/close")) {
                    return;
                }
            }
        }));
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                return null;
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    /** A client connection to a proxy in front of {@link #scripted()}. */
    private Socket connectToScripted() throws IOException {
        TcpBackend backend = scripted();
        ProxyHarness h = proxy();
        h.reconcile(catalogs.put(service("web", http(80)), endpoint(backend.ip(), "http", backend.port())).build());
        Socket s = cleanup.add(new Socket());
        s.setSoTimeout(10_000);
        s.connect(h.address("web", "http", Protocol.TCP));
        return s;
    }

    /** Reads one response head (through its empty line) from a raw socket. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String line; !(line = readLine(in)).isEmpty(); ) {
            sb.append(line).append('\n');
        }
        return sb.toString();
    }

    @Test
    void bodylessAndCloseDelimitedResponsesEndWhereTheyShould() throws Exception {
        try (Socket s = connectToScripted()) {
            s.getOutputStream().write(("GET /empty HTTP/1.1\r\nHost: web\r\n\r\nGET /cached HTTP/1.1\r\nHost: web\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: web\r\nContent-Length: 2\r\n\r\nhi"
                    + "GET /close HTTP/1.1\r\nHost: web\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            // The 204 and 304 promised bodies that never come; the proxy did not wait for them.
            assertThat(all).startsWith("HTTP/1.1 204 No Content\r\n");
            assertThat(all).containsSubsequence("HTTP/1.1 304 Not Modified\r\n", "HTTP/1.1 200 OK\r\n", "got: hi",
                    "HTTP/1.1 200 OK\r\n", "connection: close\r\n\r\nuntil the end");
            // readAllBytes returned: the close-delimited body ended the client connection too.
            assertThat(all).endsWith("until the end");
        }
    }

    @Test
    void aResponseHeadGoesOutBeforeItsBodyHasCome() throws Exception {
        try (Socket s = connectToScripted()) {
            s.getOutputStream().write("GET /later HTTP/1.1\r\nHost: web\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            // The backend holds the body back until the head has reached the client.
            assertThat(readHead(in)).startsWith("HTTP/1.1 200 OK").contains("Content-Length: 5");
            headSeen.countDown();
            assertThat(new String(in.readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("later");
        }
    }

    @Test
    void expectContinueReachesTheClientBeforeItSendsTheBody() throws Exception {
        try (Socket s = connectToScripted()) {
            s.getOutputStream().write("POST /expect HTTP/1.1\r\nHost: web\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            // The body has not been sent: the interim answer must come first.
            assertThat(readHead(in)).startsWith("HTTP/1.1 100 Continue");
            s.getOutputStream().write("body".getBytes(StandardCharsets.US_ASCII));
            assertThat(readHead(in)).startsWith("HTTP/1.1 200 OK").contains("Content-Length: 9");
            assertThat(new String(in.readNBytes(9), StandardCharsets.US_ASCII)).isEqualTo("got: body");
        }
    }
}
