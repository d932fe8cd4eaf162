package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** QUIC handshakes over loopback between two agents' shared TLS contexts, each link pinning its peer's fingerprint. */
class QuicTlsTest {
    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    final List<Channel> channels = new ArrayList<>();
    final TunnelCertificate clientCert = new TunnelCertificate("a");
    final TunnelCertificate serverCert = new TunnelCertificate("b");
    final QuicTls clientTls = new QuicTls(clientCert, "kedge-test/1");
    final QuicTls serverTls = new QuicTls(serverCert, "kedge-test/1");

    @AfterEach
    void close() {
        channels.forEach(Channel::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Test
    void manyConnectionsShareTheContextsAndEachPinsItsOwnPeer() throws Exception {
        for (int i = 0; i < 3; i++) {
            QuicChannel quic = handshake(serverCert.fingerprint(), clientCert.fingerprint());
            assertThat(quic.isActive()).isTrue();
        }
        assertThat(clientTls.pinned()).isEqualTo(3);
        assertThat(serverTls.pinned()).isEqualTo(3);
    }

    @Test
    void aClientCertificateOtherThanTheSignaledOneIsRefused() {
        String someoneElse = new TunnelCertificate("c").fingerprint();
        // With TLS 1.3 the client may finish before the server has judged its certificate: then
        // the server's refusal closes the connection right after.
        try {
            QuicChannel quic = handshake(serverCert.fingerprint(), someoneElse);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> !quic.isActive());
        } catch (Exception e) {
            assertThat(e).hasStackTraceContaining("SSL");
        }
    }

    @Test
    void aServerCertificateOtherThanTheSignaledOneIsRefused() {
        String someoneElse = new TunnelCertificate("c").fingerprint();
        assertThatThrownBy(() -> handshake(someoneElse, clientCert.fingerprint())).hasStackTraceContaining("CERTIFICATE_VERIFY_FAILED");
    }

    @Test
    void aForgottenKeyTrustsNothingAndAnUnknownPeerIsRefused() throws Exception {
        PinnedPeers pins = new PinnedPeers();
        java.security.cert.X509Certificate[] chain = {serverCert.certificate()};
        String k1 = pins.expect(serverCert.fingerprint());
        pins.check(chain, k1);
        assertThatThrownBy(() -> pins.check(chain, "no-such-key")).isInstanceOf(CertificateException.class).hasMessageContaining("no tunnel expects");
        assertThatThrownBy(() -> pins.checkServerTrusted(chain, "EC")).isInstanceOf(CertificateException.class);
        assertThatThrownBy(() -> pins.check(new java.security.cert.X509Certificate[0], k1)).hasMessageContaining("no certificate");
        pins.forget(k1);
        assertThatThrownBy(() -> pins.check(chain, k1)).hasMessageContaining("no tunnel expects");
        QuicTls tls = new QuicTls(clientCert, "x");
        String key = tls.expect(serverCert.fingerprint());
        assertThat(tls.pinned()).isEqualTo(1);
        tls.forget(key);
        tls.forget(null);
        assertThat(tls.pinned()).isZero();
    }

    /** A server link expecting {@code clientPin} and a client link expecting {@code serverPin}; the client's QUIC channel once connected. */
    private QuicChannel handshake(String serverPin, String clientPin) throws Exception {
        String serverKey = serverTls.expect(clientPin);
        ChannelHandler server = new QuicServerCodecBuilder().sslEngineProvider(q -> serverTls.serverEngine(q, serverKey))
                .tokenHandler(InsecureQuicTokenHandler.INSTANCE).maxIdleTimeout(5, TimeUnit.SECONDS).initialMaxData(1 << 20)
                .initialMaxStreamsBidirectional(10).handler(new ChannelInboundHandlerAdapter())
                .streamHandler(new ChannelInboundHandlerAdapter()).build();
        Channel s = bind(server);
        String clientKey = clientTls.expect(serverPin);
        ChannelHandler client = new QuicClientCodecBuilder().sslEngineProvider(q -> clientTls.clientEngine(q, clientKey))
                .maxIdleTimeout(5, TimeUnit.SECONDS).initialMaxData(1 << 20).initialMaxStreamsBidirectional(10).build();
        Channel c = bind(client);
        QuicChannel quic = QuicChannel.newBootstrap(c).handler(new ChannelInboundHandlerAdapter()).remoteAddress(s.localAddress())
                .connect().get(10, TimeUnit.SECONDS);
        channels.add(quic);
        return quic;
    }

    private Channel bind(ChannelHandler codec) throws InterruptedException {
        Channel ch = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        channels.add(ch);
        return ch;
    }
}
