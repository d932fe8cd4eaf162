package io.kedge.server.signaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.common.config.YamlConfig;
import io.kedge.common.signaling.SignalMessage;
import io.kedge.common.signaling.SignalMessage.Failure;
import io.kedge.server.MeshServer;
import io.kedge.server.config.ServerConfig;
import io.kedge.server.policy.RegisteredPeers;
import io.kedge.server.testing.SignalingClient;
import io.kedge.server.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signaling with the cluster CA: node certificates authenticate agents; nothing else does. */
class MutualTlsSignalingTest {
    @TempDir
    static Path dir;
    static TestCertificates cluster;
    static MeshServer server;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCertificates("KubeEdge");
        Path ca = cluster.writeCa(dir);
        ServerConfig config = YamlConfig.parse("""
                listen: {address: 127.0.0.1, port: 0, tlsPort: 0}
                auth: {sharedSecrets: [mtls-test-secret-0123456789]}
                relay: {portRange: 62500-62999}
                signaling: {port: 0, clientCa: %s}
                admin: {listen: 127.0.0.1:0}
                threads: 1
                """.formatted(ca), ServerConfig.class);
        server = SignalingTest.startRetryingBindRaces(config);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aNodeCertificateRegistersItsOwnNode() throws Exception {
        try (SignalingClient c = new SignalingClient(server.signalingAddress(),
                cluster.identity("CN=system:node:edge-1, O=system:nodes"), TestCertificates.PASSWORD)) {
            c.send(new SignalMessage.Register("edge-1", null, List.of()));
            assertThat(c.receive()).isInstanceOf(SignalMessage.Registered.class);
        }
    }

    @Test
    void aNodeCertificateCannotRegisterAnotherNode() throws Exception {
        try (SignalingClient c = new SignalingClient(server.signalingAddress(),
                cluster.identity("CN=system:node:edge-1, O=system:nodes"), TestCertificates.PASSWORD)) {
            c.send(new SignalMessage.Register("edge-2", null, List.of()));
            Failure f = (Failure) c.receive();
            assertThat(f.code()).isEqualTo(Failure.UNAUTHENTICATED);
            assertThat(f.message()).contains("system:node:edge-1");
        }
    }

    @Test
    void aCertificateOutsideTheNodesGroupIsRefused() throws Exception {
        try (SignalingClient c = new SignalingClient(server.signalingAddress(),
                cluster.identity("CN=system:node:edge-3, O=someone"), TestCertificates.PASSWORD)) {
            c.send(new SignalMessage.Register("edge-3", null, List.of()));
            assertThat(((Failure) c.receive()).code()).isEqualTo(Failure.UNAUTHENTICATED);
        }
    }

    @Test
    void noCertificateOrAForeignCaFailsTheHandshake() throws Exception {
        TestCertificates other = new TestCertificates("Other");
        try (SignalingClient c = new SignalingClient(server.signalingAddress(),
                other.identity("CN=system:node:edge-1, O=system:nodes"), TestCertificates.PASSWORD)) {
            assertThatThrownBy(() -> {
                c.send(new SignalMessage.Register("edge-1", null, List.of()));
                c.receive();
            }).isInstanceOf(IOException.class);
        }
        try (SignalingClient c = new SignalingClient(server.signalingAddress())) {
            assertThatThrownBy(() -> {
                c.send(new SignalMessage.Register("edge-1", "a-token-is-no-substitute", List.of()));
                c.receive();
            }).isInstanceOf(IOException.class);
        }
        assertThat(server.agents().find("edge-1")).isEmpty();
    }
}
