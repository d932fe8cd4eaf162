package io.kedge.edge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.kedge.cloud.CloudHubModule;
import io.kedge.cloud.pki.CertificateAuthority;
import io.kedge.common.kubeedge.Message;
import io.kedge.common.kubeedge.MessageCodec;
import io.kedge.common.kubeedge.Operations;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Many simulated edge nodes in one process (Netty, one event loop group), each with its own
 * certificate ({@code CN=system:node:sim-<i>}, signed here with the CA from cloudcore-lite's data
 * directory: bootstrap throughput is not what this measures), holding a WebSocket to CloudHub, sending
 * keepalives and ACKing every object message as edgecore-lite does.
 *
 * <p>It connects {@code --nodes} nodes, waits until the initial sync is quiet, samples cloudcore-lite's
 * RSS, then changes Service {@code default/bench-fanout} {@code --changes} times through the standalone
 * API and reports, per change, how long each node took to receive (and ACK) it.
 *
 * <pre>
 * SimulatedEdges --cloudhub 127.0.0.1:10000 --data-dir DIR --api http://127.0.0.1:6443 --nodes 5000
 *                --changes 20 --cloud-pid PID
 * </pre>
 */
public final class SimulatedEdges {
    private static final String SERVICE = "bench-fanout";
    private final Map<String, String> args;
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong lastReceivedAt = new AtomicLong(System.nanoTime());
    private final Map<Integer, long[]> latencies = new ConcurrentHashMap<>();
    private final Map<Integer, Long> sentAt = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> seen = new ConcurrentHashMap<>();

    private SimulatedEdges(Map<String, String> args) {
        this.args = args;
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            a.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        new SimulatedEdges(a).run();
        System.exit(0);
    }

    private void run() throws Exception {
        int nodes = Integer.parseInt(args.getOrDefault("nodes", "1000"));
        int changes = Integer.parseInt(args.getOrDefault("changes", "20"));
        int rate = Integer.parseInt(args.getOrDefault("connect-rate", "500"));
        String[] hub = args.get("cloudhub").split(":");
        String api = args.get("api");
        long cloudPid = Long.parseLong(args.getOrDefault("cloud-pid", "0"));
        CertificateAuthority ca = CloudHubModule.authority(Path.of(args.get("data-dir")));

        // One key for all simulated nodes, one certificate each; a key manager that picks the node's
        // certificate by the engine's peer host, which carries the node's name.
        KeyPair pair = CertificateAuthority.newKeyPair();
        byte[] csr = new JcaPKCS10CertificationRequestBuilder(new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, "sim").build(),
                pair.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())).getEncoded();
        Map<String, X509Certificate[]> chains = new HashMap<>();
        for (int i = 0; i < nodes; i++) {
            String name = "sim-" + i;
            chains.put(name, new X509Certificate[] {ca.signNode(csr, name, Duration.ofDays(1)), ca.certificate()});
        }
        SSLContext tls = SSLContext.getInstance("TLS");
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(io.kedge.edge.join.EdgeCredentials.trustStore(ca.certificate()));
        tls.init(new KeyManager[] {new PerNodeKeyManager(chains, pair.getPrivate())}, tmf.getTrustManagers(), null);

        ensureService(api);
        long rssBefore = rssKiB(cloudPid);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(Integer.parseInt(args.getOrDefault("threads", "2")), NioIoHandler.newFactory());
        long start = System.nanoTime();
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            channels.add(connect(group, tls, hub[0], Integer.parseInt(hub[1]), "sim-" + i));
            if (i % rate == rate - 1) {
                Thread.sleep(1000);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (connected.get() + failed.get() < nodes && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        double connectSeconds = (System.nanoTime() - start) / 1e9;
        // the initial sync is over when no message came for 3 s
        while (System.nanoTime() - lastReceivedAt.get() < TimeUnit.SECONDS.toNanos(3) && System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(120)) {
            Thread.sleep(200);
        }
        System.gc();
        Thread.sleep(2000);
        long rssHeld = rssKiB(cloudPid);
        System.out.printf("nodes requested %d, held %d, failed %d, connect+handshake of all %.1f s, messages in initial sync %d%n",
                nodes, connected.get(), failed.get(), connectSeconds, received.get());
        if (cloudPid > 0) {
            System.out.printf("cloudcore-lite RSS: %d MiB before, %d MiB with %d nodes held: %.1f KiB per node%n", rssBefore / 1024,
                    rssHeld / 1024, connected.get(), (rssHeld - rssBefore) / (double) Math.max(1, connected.get()));
        }

        HttpClient http = HttpClient.newHttpClient();
        List<Double> allMs = new ArrayList<>();
        List<Double> lastMs = new ArrayList<>();
        int held = connected.get();
        for (int k = 1; k <= changes; k++) {
            latencies.put(k, new long[held]);
            seen.put(k, new AtomicInteger());
            sentAt.put(k, System.nanoTime());
            String patch = "{\"metadata\":{\"annotations\":{\"bench/seq\":\"" + k + "\"}}}";
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/namespaces/default/services/" + SERVICE))
                    .method("PATCH", HttpRequest.BodyPublishers.ofString(patch)).header("Content-Type", "application/merge-patch+json")
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("patch failed: " + r.statusCode() + " " + r.body());
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (seen.get(k).get() < held && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            int got = seen.get(k).get();
            long[] l = Arrays.copyOf(latencies.get(k), got);
            Arrays.sort(l);
            for (long v : l) {
                allMs.add(v / 1e6);
            }
            double last = got == 0 ? Double.NaN : l[got - 1] / 1e6;
            lastMs.add(last);
            System.out.printf("change %d: %d/%d nodes, p50 %.0f ms, p99 %.0f ms, all %.0f ms%n", k, got, held,
                    pct(l, 50) / 1e6, pct(l, 99) / 1e6, last);
            Thread.sleep(Long.parseLong(args.getOrDefault("pause-ms", "1000")));
        }
        allMs.sort(null);
        lastMs.sort(null);
        System.out.printf("FANOUT per node (change -> received and ACKed): p50 %.0f ms, p99 %.0f ms over %d deliveries%n",
                pctD(allMs, 50), pctD(allMs, 99), allMs.size());
        System.out.printf("FANOUT to all nodes (per change): p50 %.0f ms, p99 %.0f ms over %d changes%n", pctD(lastMs, 50),
                pctD(lastMs, 99), lastMs.size());
        System.out.printf("HELD %d of %d%n", connected.get(), nodes);
        channels.forEach(Channel::close);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    static long pct(long[] sorted, int p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    static double pctD(List<Double> sorted, int p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    static long rssKiB(long pid) {
        if (pid <= 0) {
            return 0;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (Exception e) {
            return 0;
        }
        return 0;
    }

    private void ensureService(String api) throws Exception {
        String svc = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"" + SERVICE + "\",\"namespace\":\"default\"},"
                + "\"spec\":{\"ports\":[{\"port\":80}]}}";
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api + "/api/v1/namespaces/default/services"))
                .POST(HttpRequest.BodyPublishers.ofString(svc)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201 && r.statusCode() != 409) {
            throw new IllegalStateException("cannot create the service: " + r.statusCode() + " " + r.body());
        }
    }

    private Channel connect(EventLoopGroup group, SSLContext tls, String host, int port, String node) {
        URI uri = URI.create("wss://" + host + ":" + port + "/p/" + node + "/events");
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.add("node_id", node);
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder().webSocketUri(uri).customHeaders(headers)
                .maxFramePayloadLength(8 * 1024 * 1024).handshakeTimeoutMillis(120_000).build();
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 60_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SSLEngine engine = tls.createSSLEngine(node, port);
                        engine.setUseClientMode(true);
                        SSLParameters params = engine.getSSLParameters();
                        params.setServerNames(List.of()); // the peer host carries the node name, not a server name
                        engine.setSSLParameters(params);
                        SslHandler ssl = new SslHandler(engine);
                        ssl.setHandshakeTimeoutMillis(120_000);
                        ch.pipeline().addLast(ssl, new HttpClientCodec(), new HttpObjectAggregator(65536),
                                new WebSocketClientProtocolHandler(config), new WebSocketFrameAggregator(8 * 1024 * 1024), new SimNode(node));
                    }
                });
        return b.connect(new InetSocketAddress(host, port)).addListener(f -> {
            if (!f.isSuccess()) {
                failed.incrementAndGet();
            }
        }).channel();
    }

    /** One simulated node: ACKs object messages, sends keepalives, records when bench changes arrive. */
    private final class SimNode extends SimpleChannelInboundHandler<TextWebSocketFrame> {
        private final String node;
        private boolean up;

        SimNode(String node) {
            this.node = node;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                up = true;
                connected.incrementAndGet();
                ctx.executor().scheduleAtFixedRate(() -> ctx.writeAndFlush(new TextWebSocketFrame(MessageCodec.encode(
                        Message.create(Operations.SOURCE_WEBSOCKET, Operations.GROUP_RESOURCE, Operations.KEEPALIVE, "node", null,
                                com.fasterxml.jackson.databind.node.TextNode.valueOf("ping"))))), 15, 15, TimeUnit.SECONDS);
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                failed.incrementAndGet();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) throws Exception {
            long now = System.nanoTime();
            received.incrementAndGet();
            lastReceivedAt.set(now);
            Message m = MessageCodec.decode(frame.text());
            if (m.isReply() || Operations.KEEPALIVE.equals(m.operation())) {
                return;
            }
            ctx.writeAndFlush(new TextWebSocketFrame(MessageCodec.encode(m.ack())));
            if (m.resource().equals("default/service/" + SERVICE)) {
                JsonNode seq = m.content().path("metadata").path("annotations").path("bench/seq");
                if (seq.isTextual()) {
                    int k = Integer.parseInt(seq.asText());
                    Long sent = sentAt.get(k);
                    AtomicInteger count = seen.get(k);
                    long[] l = latencies.get(k);
                    if (sent != null && count != null && l != null) {
                        int idx = count.getAndIncrement();
                        if (idx < l.length) {
                            l[idx] = now - sent;
                        }
                    }
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (up) {
                connected.decrementAndGet();
                up = false;
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Chooses the client certificate of the node whose name the engine's peer host carries. */
    private static final class PerNodeKeyManager extends X509ExtendedKeyManager {
        private final Map<String, X509Certificate[]> chains;
        private final PrivateKey key;

        PerNodeKeyManager(Map<String, X509Certificate[]> chains, PrivateKey key) {
            this.chains = chains;
            this.key = key;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return engine.getPeerHost();
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return chains.keySet().toArray(new String[0]);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return chains.get(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return chains.containsKey(alias) ? key : null;
        }
    }
}
