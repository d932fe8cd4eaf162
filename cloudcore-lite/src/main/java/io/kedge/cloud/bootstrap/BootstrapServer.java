package io.kedge.cloud.bootstrap;

import io.kedge.cloud.pki.CertificateAuthority;
import io.kedge.cloud.pki.CertificateRequestException;
import io.kedge.cloud.pki.TlsListeners;
import io.kedge.common.kubeedge.MessageException;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KubeEdge's bootstrap endpoint (HTTPS, default port 10002): {@code GET /ca.crt} returns the CA in DER
 * for anyone (the edge checks it against the hash in its token); {@code GET /edge.crt} (or POST) with
 * {@code Authorization: Bearer <JWT>}, header {@code NodeName} and a DER CSR as body returns the signed
 * node certificate in DER. Refusals are plain-text reasons with 400, 401 or 413.
 */
public final class BootstrapServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BootstrapServer.class);
    /** DNS-1123 subdomain, as Kubernetes requires of node names. */
    static final Pattern NODE_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    static final int MAX_CSR_BYTES = 16 * 1024;

    private final Server server;
    private final ServerConnector connector;

    public BootstrapServer(InetSocketAddress listen, KeyStore serverKeys, char[] password, CertificateAuthority ca,
                           JoinTokens tokens, Duration edgeCertValidity, PrometheusRegistry metrics) throws Exception {
        Counter issued = Counter.builder().name("kedge_bootstrap_requests_total").help("Bootstrap requests, by path and result")
                .labelNames("path", "result").register(metrics);
        QueuedThreadPool threads = new QueuedThreadPool(8, 2);
        threads.setName("bootstrap");
        server = new Server(threads);
        // A node renewing its certificate authenticates with the current one instead of a token.
        connector = TlsListeners.https(server, listen, serverKeys, password, ca.trustStore(), false);
        server.addConnector(connector);
        byte[] caDer = ca.certificateDer();
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String path = Request.getPathInContext(request);
                if (path.equals("/ca.crt") && request.getMethod().equals("GET")) {
                    issued.labelValues("ca.crt", "ok").inc();
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
                    response.write(true, ByteBuffer.wrap(caDer), callback);
                    return true;
                }
                if (path.equals("/edge.crt") && (request.getMethod().equals("GET") || request.getMethod().equals("POST"))) {
                    // Reading the CSR blocks: hand it to a pool thread rather than the selector's.
                    server.getThreadPool().execute(() -> signEdge(request, response, callback));
                    return true;
                }
                issued.labelValues("other", "404").inc();
                Response.writeError(request, response, callback, 404, "not found: use /ca.crt or /edge.crt");
                return true;
            }

            private void signEdge(Request request, Response response, Callback callback) {
                String result = "ok";
                try {
                    String node = request.getHeaders().get("NodeName");
                    if (node == null || node.length() > 253 || !NODE_NAME.matcher(node).matches()) {
                        result = "400";
                        refuse(request, response, callback, 400, "header NodeName must be a DNS-1123 name (got "
                                + (node == null ? "none" : "\"" + node.substring(0, Math.min(node.length(), 80)) + "\"") + ")");
                        return;
                    }
                    String renewing = clientNode(request);
                    String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
                    if (renewing != null && (auth == null || !auth.startsWith("Bearer "))) {
                        if (!renewing.equals(node)) {
                            result = "403";
                            refuse(request, response, callback, 403, "the client certificate is for node \"" + renewing
                                    + "\", not for NodeName \"" + node + "\"");
                            return;
                        }
                    } else {
                        if (auth == null || !auth.startsWith("Bearer ")) {
                            result = "401";
                            refuse(request, response, callback, 401, "an Authorization: Bearer <token> header (or, to renew, "
                                    + "the node's current client certificate) is required");
                            return;
                        }
                        String jwt = auth.substring(7).strip();
                        int dot = jwt.indexOf('.');
                        if (dot == 64 && jwt.split("\\.").length == 4) {
                            jwt = jwt.substring(65); // the whole join token was sent: accept it
                        }
                        try {
                            tokens.verify(jwt);
                        } catch (MessageException e) {
                            result = "401";
                            refuse(request, response, callback, 401, "token refused: " + e.getMessage());
                            return;
                        }
                    }
                    byte[] csr;
                    try (InputStream in = Content.Source.asInputStream(request)) {
                        csr = in.readNBytes(MAX_CSR_BYTES + 1);
                    }
                    if (csr.length > MAX_CSR_BYTES) {
                        result = "413";
                        refuse(request, response, callback, 413, "a CSR larger than " + MAX_CSR_BYTES + " bytes is refused");
                        return;
                    }
                    X509Certificate cert;
                    try {
                        cert = ca.signNode(csr, node, edgeCertValidity);
                    } catch (CertificateRequestException e) {
                        result = "400";
                        refuse(request, response, callback, 400, e.getMessage());
                        return;
                    }
                    log.info("signed a certificate for node {} (valid until {})", node, cert.getNotAfter().toInstant());
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
                    response.write(true, ByteBuffer.wrap(cert.getEncoded()), callback);
                } catch (Exception e) {
                    result = "500";
                    log.warn("bootstrap request failed: {}", e.toString());
                    Response.writeError(request, response, callback, 500, "internal error");
                } finally {
                    issued.labelValues("edge.crt", result).inc();
                }
            }
        });
        server.start();
    }

    /** The node a verified client certificate names ({@code CN=system:node:<name>}), or null. */
    static String clientNode(Request request) {
        EndPoint.SslSessionData tls = (EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
        X509Certificate[] chain = tls == null ? null : tls.peerCertificates();
        if (chain == null || chain.length == 0) {
            return null;
        }
        String cn = CertificateAuthority.commonName(chain[0]);
        return cn != null && cn.startsWith(CertificateAuthority.NODE_PREFIX) ? cn.substring(CertificateAuthority.NODE_PREFIX.length()) : null;
    }

    private static void refuse(Request request, Response response, Callback callback, int status, String reason) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        response.write(true, ByteBuffer.wrap((reason + "\n").getBytes(StandardCharsets.UTF_8)), callback);
    }

    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("stopping the bootstrap server: {}", e.toString());
        }
    }
}
