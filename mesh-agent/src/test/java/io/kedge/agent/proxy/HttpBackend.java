package io.kedge.agent.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 server on a loopback address (the JDK's) for proxy tests. Paths:
 * <ul>
 *   <li>{@code /} (anything else): {@code backend=NAME} and the request's method, path and headers;</li>
 *   <li>{@code /upload}: the body's length and SHA-256;</li>
 *   <li>{@code /stream?bytes=N}: N bytes of a fixed pattern, chunked;</li>
 *   <li>{@code /big-header}: a response whose head is 40 KiB.</li>
 * </ul>
 * It records every connection (client address) it has seen, so tests can count upstream connections.
 */
final class HttpBackend implements AutoCloseable {
    final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "http-backend");
        t.setDaemon(true);
        return t;
    });
    final Set<SocketAddress> connections = ConcurrentHashMap.newKeySet();
    final AtomicInteger requests = new AtomicInteger();

    HttpBackend(String name, String ip) throws IOException {
        this.name = name;
        server = HttpServer.create(new InetSocketAddress(ip, 0), 100);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    String ip() {
        return server.getAddress().getAddress().getHostAddress();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** The byte at {@code i} of a {@code /stream} body. */
    static byte pattern(long i) {
        return (byte) ('a' + i % 26);
    }

    private void handle(HttpExchange ex) throws IOException {
        connections.add(ex.getRemoteAddress());
        requests.incrementAndGet();
        String path = ex.getRequestURI().getPath();
        try (ex) {
            switch (path) {
                case "/upload" -> {
                    MessageDigest md = sha256();
                    long n = 0;
                    byte[] buf = new byte[65536];
                    InputStream in = ex.getRequestBody();
                    for (int r; (r = in.read(buf)) >= 0; ) {
                        md.update(buf, 0, r);
                        n += r;
                    }
                    reply(ex, 200, "length=" + n + " sha256=" + HexFormat.of().formatHex(md.digest()) + "\n");
                }
                case "/stream" -> {
                    long bytes = Long.parseLong(ex.getRequestURI().getQuery().substring("bytes=".length()));
                    ex.sendResponseHeaders(200, 0);
                    OutputStream out = ex.getResponseBody();
                    byte[] chunk = new byte[8192];
                    for (long off = 0; off < bytes; ) {
                        int len = (int) Math.min(chunk.length, bytes - off);
                        for (int i = 0; i < len; i++) {
                            chunk[i] = pattern(off + i);
                        }
                        out.write(chunk, 0, len);
                        off += len;
                    }
                }
                case "/big-header" -> {
                    ex.getResponseHeaders().add("X-Big", "x".repeat(40 * 1024));
                    reply(ex, 200, "big\n");
                }
                default -> {
                    ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
                    StringBuilder sb = new StringBuilder("backend=" + name + "\n");
                    sb.append("request=").append(ex.getRequestMethod()).append(' ').append(ex.getRequestURI()).append('\n');
                    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                    headers.putAll(ex.getRequestHeaders());
                    headers.forEach((k, v) -> sb.append(k.toLowerCase()).append(": ").append(String.join(",", v)).append('\n'));
                    if ("HEAD".equals(ex.getRequestMethod())) {
                        ex.getResponseHeaders().add("X-Backend", name);
                        ex.sendResponseHeaders(200, -1);
                    } else {
                        reply(ex, 200, sb.toString());
                    }
                }
            }
        }
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "text/plain");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
