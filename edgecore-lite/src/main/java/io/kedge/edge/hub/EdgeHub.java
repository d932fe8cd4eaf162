package io.kedge.edge.hub;

import com.fasterxml.jackson.databind.node.TextNode;
import io.kedge.common.kubeedge.Message;
import io.kedge.common.kubeedge.MessageCodec;
import io.kedge.common.kubeedge.MessageException;
import io.kedge.common.kubeedge.Operations;
import io.kedge.edge.config.EdgecoreConfig;
import io.kedge.edge.join.EdgeCredentials;
import io.kedge.edge.meta.MetaManager;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * EdgeHub: the node's one outbound connection to CloudHub ({@code wss://HOST:10000/<project>/<node>/events},
 * mutual TLS with the node's certificate, the server checked against the CA and its name). Object
 * messages go to the MetaManager, whose replies (ACK after commit) go back. It sends KubeEdge's
 * keepalive every {@code keepaliveSeconds} and a WebSocket ping every {@code pingSeconds}; when nothing
 * at all arrives for {@code readTimeoutSeconds} the link is considered dead (a half-open connection
 * is noticed) and dropped. Reconnects use exponential backoff with jitter.
 */
public final class EdgeHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EdgeHub.class);

    private final EdgecoreConfig.CloudHub config;
    private final String node;
    private final MetaManager meta;
    private final URI uri;
    private final WebSocketClient client;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "edgehub");
        t.setDaemon(true);
        return t;
    });
    private final Backoff backoff;
    private final Counter reconnects;
    private final Counter received;
    private final Counter badFrames;
    private volatile Link link;
    private volatile boolean closed;
    private volatile String lastError;
    private ScheduledFuture<?> ticker;
    private final SslContextFactory.Client ssl;

    public EdgeHub(EdgecoreConfig.CloudHub config, String node, EdgeCredentials credentials, MetaManager meta,
                   PrometheusRegistry metrics) throws Exception {
        this.config = config;
        this.node = node;
        this.meta = meta;
        this.uri = URI.create("wss://" + config.server() + "/" + config.projectId() + "/" + node + "/events");
        this.backoff = new Backoff(Duration.ofMillis(config.backoffInitialMillis()), Duration.ofSeconds(config.backoffMaxSeconds()),
                new java.util.Random());
        reconnects = Counter.builder().name("kedge_edgehub_reconnects_total").help("Connection attempts after the first").register(metrics);
        received = Counter.builder().name("kedge_edgehub_messages_received_total").help("Messages from the cloud, by operation")
                .labelNames("operation").register(metrics);
        badFrames = Counter.builder().name("kedge_edgehub_bad_frames_total").help("Frames from the cloud that were not valid messages")
                .register(metrics);
        GaugeWithCallback.builder().name("kedge_edgehub_connected").help("1 while connected to CloudHub")
                .callback(cb -> cb.call(connected() ? 1 : 0)).register(metrics);

        ssl = new SslContextFactory.Client();
        ssl.setKeyStore(credentials.keyStore());
        ssl.setKeyStorePassword(new String(credentials.password()));
        ssl.setTrustStore(credentials.trustStore());
        ssl.setEndpointIdentificationAlgorithm("HTTPS"); // the cloud's certificate must name the address we dial
        ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(ssl);
        QueuedThreadPool threads = new QueuedThreadPool(8, 1);
        threads.setName("edgehub-io");
        connector.setExecutor(threads);
        HttpClient http = new HttpClient(new HttpClientTransportOverHTTP(connector));
        http.setExecutor(threads);
        client = new WebSocketClient(http);
        client.setMaxTextMessageSize(config.maxMessageBytes());
        client.setIdleTimeout(Duration.ofSeconds(config.readTimeoutSeconds()).multipliedBy(2));
        client.setConnectTimeout(10_000);
        client.start();
    }

    /** Uses renewed credentials from the next connection on (the current one keeps its session). */
    public void useCredentials(EdgeCredentials credentials) throws Exception {
        ssl.reload(f -> {
            f.setKeyStore(credentials.keyStore());
            f.setKeyStorePassword(new String(credentials.password()));
        });
    }

    public void start() {
        timer.execute(this::connect);
        ticker = timer.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    public boolean connected() {
        Link l = link;
        return l != null && l.session != null && l.session.isOpen();
    }

    public String lastError() {
        return lastError;
    }

    private void connect() {
        if (closed) {
            return;
        }
        Link l = new Link();
        link = l;
        ClientUpgradeRequest request = new ClientUpgradeRequest();
        request.setHeader("node_id", node);
        request.setTimeout(15, TimeUnit.SECONDS);
        try {
            client.connect(l, uri, request).whenComplete((session, failure) -> {
                if (failure != null) {
                    lastError = describe(failure);
                    log.info("cannot connect to {}: {}", uri, lastError);
                    l.ended();
                }
            });
        } catch (Exception e) {
            lastError = describe(e);
            log.info("cannot connect to {}: {}", uri, lastError);
            l.ended();
        }
    }

    static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = String.valueOf(root.getMessage());
        if (msg.contains("No subject alternative") || msg.contains("No name matching")) {
            return "the cloud's certificate does not name the address dialled; add it to cloudcore-lite's advertiseAddress (" + msg + ")";
        }
        return root.getClass().getSimpleName() + ": " + msg;
    }

    private void scheduleReconnect() {
        if (closed) {
            return;
        }
        Duration delay = backoff.next();
        reconnects.inc();
        log.info("reconnecting to CloudHub in {} ms", delay.toMillis());
        try {
            timer.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // closing
        }
    }

    /** Every second: keepalive and ping when due, and the read deadline. */
    private void tick() {
        Link l = link;
        if (l == null || l.session == null || !l.session.isOpen()) {
            return;
        }
        Instant now = Instant.now();
        if (now.isAfter(l.lastReceived.plusSeconds(config.readTimeoutSeconds()))) {
            log.warn("nothing from CloudHub for {}s: dropping the connection", config.readTimeoutSeconds());
            lastError = "read deadline: nothing received for " + config.readTimeoutSeconds() + "s";
            l.session.disconnect();
            return;
        }
        if (now.isAfter(l.lastKeepalive.plusSeconds(config.keepaliveSeconds()))) {
            l.lastKeepalive = now;
            l.send(MessageCodec.encode(Message.create(Operations.SOURCE_WEBSOCKET, Operations.GROUP_RESOURCE, Operations.KEEPALIVE,
                    "node", null, TextNode.valueOf("ping"))));
        }
        if (now.isAfter(l.lastPing.plusSeconds(config.pingSeconds()))) {
            l.lastPing = now;
            l.session.sendPing(ByteBuffer.allocate(0), Callback.NOOP);
        }
    }

    /** One connection attempt and, if it opens, the connection. */
    public final class Link implements Session.Listener.AutoDemanding {
        volatile Session session;
        volatile Instant lastReceived = Instant.now();
        volatile Instant lastKeepalive = Instant.now();
        volatile Instant lastPing = Instant.now();
        private boolean ended;

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
            lastReceived = Instant.now();
            lastError = null;
            backoff.reset();
            log.info("connected to CloudHub at {}", uri);
        }

        @Override
        public void onWebSocketText(String text) {
            lastReceived = Instant.now();
            Message m;
            try {
                m = MessageCodec.decode(text);
            } catch (MessageException e) {
                badFrames.inc();
                log.warn("the cloud sent a bad frame: {}", e.getMessage());
                return; // the cloud is trusted more than this frame: drop it, keep the link
            }
            received.labelValues(m.operation()).inc();
            switch (m.operation()) {
                case Operations.INSERT, Operations.UPDATE, Operations.PATCH, Operations.DELETE -> {
                    if (!meta.submit(m, this::send)) {
                        log.warn("MetaManager queue full: {} left unanswered (the cloud sends it again)", m.resource());
                    }
                }
                case Operations.RESPONSE, Operations.ERROR, Operations.KEEPALIVE -> {
                    if (Operations.ERROR.equals(m.operation())) {
                        log.warn("the cloud answered an error: {}", m.content());
                    }
                }
                default -> send(m.error("edgecore-lite does not take " + m.operation() + " of " + m.resource()));
            }
        }

        void send(Message reply) {
            send(MessageCodec.encode(reply));
        }

        void send(String frame) {
            Session s = session;
            if (s != null && s.isOpen()) {
                s.sendText(frame, Callback.NOOP);
            }
        }

        @Override
        public void onWebSocketPong(ByteBuffer payload) {
            lastReceived = Instant.now();
        }

        @Override
        public void onWebSocketPing(ByteBuffer payload) {
            lastReceived = Instant.now();
            Session s = session;
            if (s != null) {
                s.sendPong(payload, Callback.NOOP);
            }
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            log.info("CloudHub connection closed: {} {}", statusCode, reason);
            if (statusCode != 1000 && statusCode != 1001 && reason != null) {
                lastError = statusCode + " " + reason;
            }
            ended();
        }

        @Override
        public void onWebSocketError(Throwable cause) {
            lastError = describe(cause);
            log.debug("CloudHub connection error: {}", lastError);
            ended();
        }

        /** The attempt failed or the connection ended: reconnect, once per link. */
        synchronized void ended() {
            if (ended) {
                return;
            }
            ended = true;
            session = null;
            if (link == this) {
                scheduleReconnect();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        if (ticker != null) {
            ticker.cancel(false);
        }
        timer.shutdownNow();
        Link l = link;
        if (l != null && l.session != null) {
            l.session.close(1001, "edgecore-lite stopping", Callback.NOOP);
        }
        try {
            client.stop();
        } catch (Exception e) {
            log.debug("stopping the WebSocket client: {}", e.toString());
        }
    }
}
