package io.kedge.agent.tunnel.turn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.common.config.YamlConfig;
import io.kedge.server.MeshServer;
import io.kedge.server.auth.TurnCredentials;
import io.kedge.server.config.ServerConfig;
import io.kedge.server.policy.RegisteredPeers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The agent's TURN client over TCP and TLS against a real mesh-server on loopback. */
class TurnClientTest {
    static final String SECRET = "turn-client-test-secret-0123456789";
    static MeshServer server;
    static EventLoopGroup group;
    static SslContext trustAll;

    record Received(InetSocketAddress peer, byte[] data) {
    }

    @BeforeAll
    static void start() throws Exception {
        ServerConfig config = YamlConfig.parse("""
                listen: {address: 127.0.0.1, port: 0, tlsPort: 0}
                auth: {realm: loop, sharedSecrets: [%s]}
                relay: {portRange: 62000-62999}
                admin: {listen: 127.0.0.1:0}
                threads: 2
                """.formatted(SECRET), ServerConfig.class);
        // With port 0 the TCP listener takes the port the UDP one got, which another process may
        // hold: a few fresh tries (a failed start leaves nothing open).
        for (int attempt = 1; server == null; attempt++) {
            MeshServer s = new MeshServer(config, RegisteredPeers.NONE);
            try {
                s.start();
                server = s;
            } catch (java.io.IOException e) {
                s.close();
                if (attempt == 5) {
                    throw e;
                }
            }
        }
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        trustAll = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    static TurnClient connect(boolean tls, String agent) throws Exception {
        TurnCredentials c = server.credentialIssuer().issue(agent, Duration.ofMinutes(10));
        return TurnClient.connect(group, tls ? server.tlsAddress() : server.tcpAddress(), tls ? trustAll : null, c.username(), c.password())
                .get(10, TimeUnit.SECONDS);
    }

    static BlockingQueue<Received> inbox(TurnClient c) {
        BlockingQueue<Received> q = new LinkedBlockingQueue<>();
        c.receiver((peer, data) -> {
            q.add(new Received(peer, ByteBufUtil.getBytes(data)));
            data.release();
        });
        return q;
    }

    static ByteBuf bytes(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (seed + i * 7);
        }
        return Unpooled.wrappedBuffer(b);
    }

    @Test
    void twoAllocationsHeldOverTcpAndTlsRelayToEachOther() throws Exception {
        try (TurnClient a = connect(false, "agent-a"); TurnClient b = connect(true, "agent-b")) {
            assertThat(a.transport()).isEqualTo("tcp");
            assertThat(b.transport()).isEqualTo("tls");
            InetSocketAddress ra = a.allocate().get(10, TimeUnit.SECONDS);
            InetSocketAddress rb = b.allocate().get(10, TimeUnit.SECONDS);
            assertThat(ra.getAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
            assertThat(ra.getPort()).isBetween(62000, 62999);
            assertThat(a.relayed()).isEqualTo(ra);
            BlockingQueue<Received> toA = inbox(a);
            BlockingQueue<Received> toB = inbox(b);
            // b lets the relay's addresses in; a binds a channel to b (ChannelData), b answers with Send indications.
            b.permit(ra.getAddress()).get(10, TimeUnit.SECONDS);
            a.bind(rb).get(10, TimeUnit.SECONDS);
            for (int size : new int[] {1, 2, 3, 4, 5, 1200, 1201}) {
                a.send(rb, bytes(size, size));
                Received r = toB.poll(10, TimeUnit.SECONDS);
                assertThat(r).as("%d bytes a -> b", size).isNotNull();
                assertThat(r.peer()).isEqualTo(ra);
                assertThat(r.data()).isEqualTo(ByteBufUtil.getBytes(bytes(size, size)));
                b.send(ra, bytes(size, size + 1));
                Received back = toA.poll(10, TimeUnit.SECONDS);
                assertThat(back).as("%d bytes b -> a", size).isNotNull();
                assertThat(back.peer()).isEqualTo(rb);
                assertThat(back.data()).isEqualTo(ByteBufUtil.getBytes(bytes(size, size + 1)));
            }
            // Once b binds a channel too, its datagrams go as ChannelData and still arrive whole.
            b.bind(ra).get(10, TimeUnit.SECONDS);
            b.send(ra, bytes(333, 9));
            assertThat(toA.poll(10, TimeUnit.SECONDS).data()).isEqualTo(ByteBufUtil.getBytes(bytes(333, 9)));
        }
    }

    @Test
    void wrongCredentialsAreRefusedWithTheServersReason() throws Exception {
        try (TurnClient c = TurnClient.connect(group, server.tcpAddress(), null, "1999999999:nobody", "wrong")
                .get(10, TimeUnit.SECONDS)) {
            assertThatThrownBy(() -> c.allocate().get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TurnException.class).hasMessageContaining("refused ALLOCATE: 401");
        }
    }

    @Test
    void closingTheClientFreesTheAllocation() throws Exception {
        TurnClient c = connect(false, "agent-closing");
        c.allocate().get(10, TimeUnit.SECONDS);
        int before = server.allocationCount();
        c.close();
        c.closeFuture().get(10, TimeUnit.SECONDS);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> server.allocationCount() < before);
    }

    @Test
    void anUnreachableServerFailsTheConnect() throws Exception {
        java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        int port = s.getLocalPort();
        s.close();
        assertThatThrownBy(() -> TurnClient.connect(group, new InetSocketAddress(InetAddress.getLoopbackAddress(), port), null, "u", "p")
                .get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(TurnException.class).hasMessageContaining("cannot reach TURN server");
    }
}
