package io.kedge.cloud.hub;

import io.kedge.cloud.node.NodeLifecycle;
import io.kedge.cloud.pki.CertificateAuthority;
import io.kedge.cloud.pki.TlsListeners;
import io.kedge.cloud.sync.SyncController;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CloudHub: the WebSocket server edge nodes dial ({@code wss://HOST:10000/<projectID>/<node>/events}),
 * over TLS that requires a client certificate signed by our CA. The node named in the path (and in
 * the {@code node_id} header, when sent) must be the certificate's {@code CN=system:node:<name>}. One
 * session per node (a new one replaces the old), at most {@code maxSessions} in all. A session that
 * sends nothing (keepalive, ACK or WebSocket ping) for {@code readTimeout} is closed.
 */
public final class CloudHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CloudHub.class);

    public record Settings(InetSocketAddress listen, int maxSessions, Duration readTimeout, int maxMessageBytes) {
    }

    private final Settings settings;
    private final SyncController sync;
    private final NodeLifecycle lifecycle;
    private final Clock clock;
    private final Server server;
    private final ServerConnector connector;
    private final Map<String, NodeSession> sessions = new ConcurrentHashMap<>();
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cloudhub-deadlines");
        t.setDaemon(true);
        return t;
    });
    final Counter refusals;
    final Counter badFrames;
    final Counter received;
    final Counter disconnects;

    public CloudHub(Settings settings, KeyStore serverKeys, char[] password, CertificateAuthority ca, SyncController sync,
                    NodeLifecycle lifecycle, Clock clock, PrometheusRegistry metrics) throws Exception {
        this.settings = settings;
        this.sync = sync;
        this.lifecycle = lifecycle;
        this.clock = clock;
        refusals = Counter.builder().name("kedge_cloudhub_refused_total").help("WebSocket upgrades refused, by reason")
                .labelNames("reason").register(metrics);
        badFrames = Counter.builder().name("kedge_cloudhub_bad_frames_total").help("Frames that were not valid messages (the session is closed)")
                .register(metrics);
        received = Counter.builder().name("kedge_cloudhub_messages_received_total").help("Messages received from edge nodes, by operation")
                .labelNames("operation").register(metrics);
        disconnects = Counter.builder().name("kedge_cloudhub_disconnects_total").help("Sessions that ended, by WebSocket close code")
                .labelNames("code").register(metrics);
        GaugeWithCallback.builder().name("kedge_cloudhub_sessions").help("Edge nodes connected to CloudHub")
                .callback(cb -> cb.call(sessions.size())).register(metrics);

        QueuedThreadPool threads = new QueuedThreadPool(Math.max(16, Runtime.getRuntime().availableProcessors() * 8), 4);
        threads.setName("cloudhub");
        server = new Server(threads);
        connector = TlsListeners.https(server, settings.listen(), serverKeys, password, ca.trustStore());
        connector.setAcceptQueueSize(1024);
        server.addConnector(connector);
        server.setHandler(WebSocketUpgradeHandler.from(server, container -> {
            container.setMaxTextMessageSize(settings.maxMessageBytes());
            container.setMaxBinaryMessageSize(1024);
            // Backstop only: the read deadline below closes silent sessions sooner.
            container.setIdleTimeout(settings.readTimeout().multipliedBy(2));
            container.setMaxOutgoingFrames(4096);
            container.addMapping("/*", (request, response, callback) -> accept(request, response, callback));
        }));
        server.start();
        long every = Math.max(1000, settings.readTimeout().toMillis() / 6);
        deadlines.scheduleWithFixedDelay(this::enforceReadDeadline, every, every, TimeUnit.MILLISECONDS);
    }

    private Object accept(Request request, Response response, org.eclipse.jetty.util.Callback callback) {
        String[] parts = Request.getPathInContext(request).split("/");
        // "", projectID, node, "events"
        if (parts.length != 4 || !parts[3].equals("events") || parts[2].isEmpty()) {
            return refuse(request, response, callback, 404, "path", "the path must be /<projectID>/<nodeName>/events");
        }
        String node = parts[2];
        String header = request.getHeaders().get("node_id");
        if (header != null && !header.equals(node)) {
            return refuse(request, response, callback, 403, "identity",
                    "header node_id \"" + header + "\" does not match the node in the path \"" + node + "\"");
        }
        EndPoint.SslSessionData tls = (EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
        X509Certificate[] chain = tls == null ? null : tls.peerCertificates();
        if (chain == null || chain.length == 0) {
            return refuse(request, response, callback, 401, "certificate", "a client certificate is required");
        }
        String cn = CertificateAuthority.commonName(chain[0]);
        if (!(CertificateAuthority.NODE_PREFIX + node).equals(cn)) {
            return refuse(request, response, callback, 403, "identity",
                    "the client certificate is for \"" + cn + "\", not " + CertificateAuthority.NODE_PREFIX + node);
        }
        if (!sessions.containsKey(node) && sessions.size() >= settings.maxSessions()) {
            return refuse(request, response, callback, 503, "limit", "session limit of " + settings.maxSessions() + " reached");
        }
        return new NodeSession(this, node, String.valueOf(request.getConnectionMetaData().getRemoteSocketAddress()));
    }

    private Object refuse(Request request, Response response, org.eclipse.jetty.util.Callback callback, int status, String reason,
                          String message) {
        refusals.labelValues(reason).inc();
        log.info("refused a CloudHub connection from {}: {}", request.getConnectionMetaData().getRemoteSocketAddress(), message);
        Response.writeError(request, response, callback, status, message);
        return null;
    }

    // ---- called by sessions ----

    void opened(NodeSession session, String remoteAddress) {
        NodeSession previous = sessions.put(session.node(), session);
        if (previous != null && previous != session) {
            previous.close(1008, "replaced by a newer connection of the same node");
        }
        sync.attach(session.node(), session);
        if (lifecycle != null) {
            lifecycle.connected(session.node(), hostOf(remoteAddress));
        }
        log.info("node {} connected from {}", session.node(), remoteAddress);
    }

    void closed(NodeSession session, int code, String reason) {
        disconnects.labelValues(Integer.toString(code)).inc();
        if (sessions.remove(session.node(), session)) {
            sync.detach(session.node(), session);
            log.info("node {} disconnected ({} {})", session.node(), code, reason);
        }
    }

    SyncController sync() {
        return sync;
    }

    NodeLifecycle lifecycle() {
        return lifecycle;
    }

    Clock clock() {
        return clock;
    }

    private void enforceReadDeadline() {
        Instant limit = clock.instant().minus(settings.readTimeout());
        for (NodeSession s : sessions.values()) {
            if (s.lastReceived().isBefore(limit)) {
                log.info("node {} sent nothing for {}s: closing its session", s.node(), settings.readTimeout().toSeconds());
                s.close(1001, "no keepalive for " + settings.readTimeout().toSeconds() + "s");
            }
        }
    }

    private static String hostOf(String remote) {
        String r = remote.startsWith("/") ? remote.substring(1) : remote;
        int colon = r.lastIndexOf(':');
        return colon > 0 ? r.substring(0, colon) : r;
    }

    public int port() {
        return connector.getLocalPort();
    }

    public int sessionCount() {
        return sessions.size();
    }

    @Override
    public void close() {
        deadlines.shutdownNow();
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("stopping CloudHub: {}", e.toString());
        }
    }
}
