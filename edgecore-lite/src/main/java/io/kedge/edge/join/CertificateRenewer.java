package io.kedge.edge.join;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Renews the node's certificate before it expires: a new key and CSR sent to the bootstrap endpoint,
 * authenticated by the current certificate (no join token needed), at {@link #RENEW_AT} of its
 * lifetime, as KubeEdge rotates at 70-90 %.
 */
public final class CertificateRenewer {
    /** The fraction of a certificate's lifetime after which it is renewed. */
    public static final double RENEW_AT = 0.8;

    private final Duration timeout;

    public CertificateRenewer(Duration timeout) {
        this.timeout = timeout;
    }

    /** When {@code cert} is due for renewal. */
    public static Instant dueAt(X509Certificate cert) {
        Instant from = cert.getNotBefore().toInstant();
        Instant to = cert.getNotAfter().toInstant();
        return from.plusMillis((long) (Duration.between(from, to).toMillis() * RENEW_AT));
    }

    public EdgeCredentials renew(String bootstrap, EdgeCredentials current, String nodeName) throws JoinException {
        KeyPair pair = Joiner.newKeyPair();
        byte[] csr = Joiner.csr(pair, nodeName);
        SSLContext tls;
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(current.keyStore(), current.password());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(current.trustStore());
            tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        } catch (GeneralSecurityException e) {
            throw new JoinException("cannot use the current certificate: " + e.getMessage());
        }
        HttpClient client = HttpClient.newBuilder().sslContext(tls).connectTimeout(timeout).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://" + bootstrap + "/edge.crt")).timeout(timeout)
                .header("NodeName", nodeName).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(csr)).build();
        X509Certificate cert = Joiner.requestCertificate(client, request, current.ca(), request.uri().getHost(), bootstrap);
        return new EdgeCredentials(current.ca(), cert, pair.getPrivate(), current.password());
    }
}
