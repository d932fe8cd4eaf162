package io.kedge.agent.tunnel;

import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicSslEngine;
import io.netty.handler.ssl.ClientAuth;

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
    private volatile QuicSslContext client;
    private volatile QuicSslContext server;

    QuicTls(TunnelCertificate certificate, String alpn) {
        this.certificate = certificate;
        this.alpn = alpn;
    }

    /** Expects {@code fingerprint} from the peer of the engines made with the returned key. */
    String expect(String fingerprint) {
        return pins.expect(fingerprint);
    }

    /** The connection under {@code key} is gone: no engine may use the key again. */
    void forget(String key) {
        pins.forget(key);
    }

    /** How many keys are registered (for tests: every link forgets its own). */
    int pinned() {
        return pins.size();
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
}
