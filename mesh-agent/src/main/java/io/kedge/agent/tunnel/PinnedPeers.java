package io.kedge.agent.tunnel;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts, for an engine whose peer host is a registered key, exactly the certificate signaled for
 * it. One instance serves many connections (a TLS context's trust manager is shared): each
 * connection registers the fingerprint its peer signaled under a key of its own and makes its engine
 * with that key as peer host. Used by the tunnel's QUIC contexts ({@link QuicTls}) and by the direct
 * TCP lane's client ({@link DirectTcpLane}).
 */
final class PinnedPeers extends X509ExtendedTrustManager {
    private final Map<String, String> expected = new ConcurrentHashMap<>();
    private final AtomicLong keys = new AtomicLong();

    /** Expects {@code fingerprint} from the peer of the engines made with the returned key (their peer host). */
    String expect(String fingerprint) {
        String key = "kedge-peer-" + keys.incrementAndGet();
        expected.put(key, fingerprint);
        return key;
    }

    /** The connection under {@code key} is gone (or its handshake done): no engine may use the key again. */
    void forget(String key) {
        if (key != null) {
            expected.remove(key);
        }
    }

    /** How many keys are registered (for tests: every connection forgets its own). */
    int size() {
        return expected.size();
    }

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
