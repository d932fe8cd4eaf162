package io.kedge.edge.join;

import io.kedge.common.kubeedge.JoinToken;
import io.kedge.common.kubeedge.MessageException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * KubeEdge's join: fetch the CA from the bootstrap endpoint without trusting the network, accept it
 * only if its SHA-256 is the token's prefix, then send a CSR (new ECDSA P-256 key) with the token's
 * JWT over TLS verified against that CA, including the server's name or IP address, and keep the
 * signed certificate. Every failure is a {@link JoinException} that says what to fix.
 */
public final class Joiner {
    private final Duration timeout;

    public Joiner(Duration timeout) {
        this.timeout = timeout;
    }

    /**
     * @param bootstrap {@code host:port} of cloudcore's bootstrap endpoint (10002)
     * @return the node's credentials (not yet saved)
     */
    public EdgeCredentials join(String bootstrap, String tokenText, String nodeName) throws JoinException {
        JoinToken token;
        try {
            token = JoinToken.parse(tokenText);
        } catch (MessageException e) {
            throw new JoinException("the token is malformed: " + e.getMessage());
        }
        URI base = URI.create("https://" + bootstrap);
        byte[] caDer = fetchCa(base);
        if (!token.matchesCa(caDer)) {
            throw new JoinException("CA hash mismatch: the token is for a CA with SHA-256 " + token.caHash() + " but " + bootstrap
                    + " serves one with SHA-256 " + JoinToken.sha256Hex(caDer)
                    + " (a token of another cloudcore, or someone in between)");
        }
        X509Certificate ca;
        try {
            ca = EdgeCredentials.parse(caDer);
        } catch (GeneralSecurityException e) {
            throw new JoinException("the CA from " + bootstrap + " is not a certificate: " + e.getMessage());
        }
        KeyPair pair = newKeyPair();
        byte[] csr = csr(pair, nodeName);
        HttpClient client = HttpClient.newBuilder().sslContext(trusting(ca)).connectTimeout(timeout).build();
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/edge.crt")).timeout(timeout)
                .header("Authorization", "Bearer " + token.jwt())
                .header("NodeName", nodeName)
                .header("Content-Type", "application/octet-stream")
                .method("GET", HttpRequest.BodyPublishers.ofByteArray(csr)).build();
        X509Certificate cert = requestCertificate(client, request, ca, base.getHost(), bootstrap);
        return new EdgeCredentials(ca, cert, pair.getPrivate(), new char[0]);
    }

    /** Sends a certificate request and returns the certificate, checked against {@code ca}; failures say what to fix. */
    static X509Certificate requestCertificate(HttpClient client, HttpRequest request, X509Certificate ca, String host, String bootstrap)
            throws JoinException {
        HttpResponse<byte[]> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (SSLHandshakeException e) {
            String reason = String.valueOf(e.getMessage());
            if (reason.contains("subject alternative") || reason.contains("No name matching")) {
                throw new JoinException("the cloud's certificate does not name " + host
                        + ": start cloudcore-lite with that address in modules.cloudHub.advertiseAddress (--advertise-address) ("
                        + reason + ")");
            }
            throw new JoinException("TLS with " + bootstrap + " failed: " + reason);
        } catch (IOException e) {
            throw new JoinException("cannot reach " + bootstrap + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JoinException("interrupted");
        }
        if (response.statusCode() != 200) {
            throw new JoinException("the cloud refused the certificate request (" + response.statusCode() + "): "
                    + new String(response.body(), StandardCharsets.UTF_8).strip());
        }
        try {
            X509Certificate cert = EdgeCredentials.parse(response.body());
            cert.verify(ca.getPublicKey());
            return cert;
        } catch (GeneralSecurityException e) {
            throw new JoinException("the certificate from " + bootstrap + " is not signed by its CA: " + e.getMessage());
        }
    }

    private byte[] fetchCa(URI base) throws JoinException {
        HttpClient client = HttpClient.newBuilder().sslContext(trustingAnyone()).connectTimeout(timeout).build();
        try {
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(base.resolve("/ca.crt")).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new JoinException(base + "/ca.crt answered " + r.statusCode());
            }
            if (r.body().length > 64 * 1024) {
                throw new JoinException(base + "/ca.crt is implausibly large (" + r.body().length + " bytes)");
            }
            return r.body();
        } catch (IOException e) {
            throw new JoinException("cannot fetch the CA from " + base.getAuthority() + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JoinException("interrupted");
        }
    }

    static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] csr(KeyPair pair, String nodeName) {
        try {
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "system:nodes")
                    .addRDN(BCStyle.CN, "system:node:" + nodeName).build();
            PKCS10CertificationRequest req = new JcaPKCS10CertificationRequestBuilder(subject, pair.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
            return req.getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException("cannot build the CSR: " + e.getMessage(), e);
        }
    }

    static SSLContext trusting(X509Certificate ca) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(EdgeCredentials.trustStore(ca));
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Only for fetching the CA, which is then checked against the token's hash. */
    private static SSLContext trustingAnyone() {
        X509ExtendedTrustManager anyone = new X509ExtendedTrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {anyone}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
