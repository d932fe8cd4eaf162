package io.kedge.agent.tunnel;

import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicSslEngine;
import io.netty.handler.ssl.ClientAuth;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The tunnel's QUIC TLS: one client and one server context for the agent's life, built on first
 * use (building one costs tens of milliseconds, which every tunnel setup paid when each link built
 * its own), and a trust manager that pins, per connection, the fingerprint the peer signaled. A
 * link registers its peer's fingerprint under a key of its own, and its engines carry that key as
 * their peer host, which is how the shared trust manager finds what to expect.
 */
final class QuicTls {
    private final TunnelCertificate certificate;
    private final String alpn;
    private final PinnedPeers pins = new PinnedPeers();
    private final AtomicLong keys = new AtomicLong();
    private volatile QuicSslContext client;
    private volatile QuicSslContext server;

    QuicTls(TunnelCertificate certificate, String alpn) {
        this.certificate = certificate;
        this.alpn = alpn;
    }

    /** Expects {@code fingerprint} from the peer of the engines made with the returned key. */
    String expect(String fingerprint) {
        String key = "kedge-link-" + keys.incrementAndGet();
        pins.expected.put(key, fingerprint);
        return key;
    }

    /** The connection under {@code key} is gone: no engine may use the key again. */
    void forget(String key) {
        if (key != null) {
            pins.expected.remove(key);
        }
    }

    /** How many keys are registered (for tests: every link forgets its own). */
    int pinned() {
        return pins.expected.size();
    }

    /** Builds both contexts now (at start, off any setup's path). */
    void warm() {
        client();
        server();
    }

    QuicSslEngine clientEngine(QuicChannel channel, String key) {
        return client().newEngine(channel.alloc(), key, 0);
    }

    QuicSslEngine serverEngine(QuicChannel channel, String key) {
        return server().newEngine(channel.alloc(), key, 0);
    }

    private QuicSslContext client() {
        QuicSslContext c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    client = QuicSslContextBuilder.forClient()
                            .keyManager(certificate.keys().getPrivate(), null, certificate.certificate())
                            .trustManager(pins).applicationProtocols(alpn)
                            .endpointIdentificationAlgorithm(null) // the peer is identified by its pinned fingerprint, not a host name
                            .build();
                }
                c = client;
            }
        }
        return c;
    }

    private QuicSslContext server() {
        QuicSslContext s = server;
        if (s == null) {
            synchronized (this) {
                if (server == null) {
                    server = QuicSslContextBuilder.forServer(certificate.keys().getPrivate(), null, certificate.certificate())
                            .trustManager(pins).clientAuth(ClientAuth.REQUIRE).applicationProtocols(alpn).build();
                }
                s = server;
            }
        }
        return s;
    }

    /** Trusts, for an engine whose peer host is a registered key, exactly the certificate signaled for it. */
    static final class PinnedPeers extends X509ExtendedTrustManager {
        final Map<String, String> expected = new ConcurrentHashMap<>();

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain, keyOf(engine));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain, keyOf(engine));
        }

        /** The peer host the engine was made with (QUIC engines keep it in their session, not in SSLEngine's own field). */
        private static String keyOf(SSLEngine engine) {
            if (engine == null) {
                return null;
            }
            if (engine.getPeerHost() != null) {
                return engine.getPeerHost();
            }
            javax.net.ssl.SSLSession session = engine.getHandshakeSession();
            if (session == null) {
                session = engine.getSession();
            }
            return session == null ? null : session.getPeerHost();
        }

        void check(X509Certificate[] chain, String key) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("no certificate presented");
            }
            String want = key == null ? null : expected.get(key);
            if (want == null) {
                throw new CertificateException("no tunnel expects a peer certificate on this connection");
            }
            String actual = TunnelCertificate.fingerprintOf(chain[0]);
            if (!actual.equals(want)) {
                throw new CertificateException("certificate fingerprint " + actual + " is not the one signaled");
            }
        }

        // Without an engine there is no way to tell which peer is meant: refuse.
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, null);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, null);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain, null);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain, null);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
