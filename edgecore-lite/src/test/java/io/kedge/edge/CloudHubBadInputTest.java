package io.kedge.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kedge.cloud.CloudHubModule;
import io.kedge.cloud.Cloudcore;
import io.kedge.cloud.pki.CertificateAuthority;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeedge.Message;
import io.kedge.common.kubeedge.MessageCodec;
import io.kedge.edge.join.EdgeCredentials;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.UpgradeException;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CloudHub against wrong identities and bad frames, with a raw WebSocket client on loopback. */
class CloudHubBadInputTest {
    @TempDir
    Path tmp;
    Cloudcore cloud;
    CertificateAuthority ca;
    final List<WebSocketClient> clients = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        cloud = CloudEdgeLoopbackTest.startCloudcore(tmp.resolve("cloud"));
        ca = CloudHubModule.authority(tmp.resolve("cloud"));
    }

    @AfterEach
    void stop() throws Exception {
        for (WebSocketClient c : clients) {
            c.stop();
        }
        cloud.close();
    }

    /** A WebSocket event recorder. */
    public static final class Recorder implements Session.Listener.AutoDemanding {
        final List<String> texts = new CopyOnWriteArrayList<>();
        final AtomicInteger closeCode = new AtomicInteger();
        volatile String closeReason;
        volatile Session session;

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
        }

        @Override
        public void onWebSocketText(String text) {
            texts.add(text);
        }

        @Override
        public void onWebSocketClose(int code, String reason) {
            closeReason = reason;
            closeCode.set(code);
        }
    }

    EdgeCredentials credentials(CertificateAuthority signer, String node) throws Exception {
        KeyPair pair = CertificateAuthority.newKeyPair();
        byte[] csr = new JcaPKCS10CertificationRequestBuilder(new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, "whoever").build(),
                pair.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())).getEncoded();
        X509Certificate cert = signer.signNode(csr, node, Duration.ofDays(1));
        return new EdgeCredentials(ca.certificate(), cert, pair.getPrivate(), "pw".toCharArray());
    }

    Session connect(EdgeCredentials creds, String pathNode, String header, Recorder recorder) throws Exception {
        SslContextFactory.Client ssl = new SslContextFactory.Client();
        if (creds != null) {
            ssl.setKeyStore(creds.keyStore());
            ssl.setKeyStorePassword(new String(creds.password()));
        }
        ssl.setTrustStore(EdgeCredentials.trustStore(ca.certificate()));
        ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(ssl);
        WebSocketClient client = new WebSocketClient(new HttpClient(new HttpClientTransportOverHTTP(connector)));
        client.start();
        clients.add(client);
        ClientUpgradeRequest request = new ClientUpgradeRequest();
        if (header != null) {
            request.setHeader("node_id", header);
        }
        URI uri = URI.create("wss://127.0.0.1:" + cloud.cloudHub().hub().port() + "/p/" + pathNode + "/events");
        return client.connect(recorder, uri, request).get(10, TimeUnit.SECONDS);
    }

    double disconnects(String code) {
        for (var m : cloud.metrics().scrape()) {
            if (m instanceof CounterSnapshot c && c.getMetadata().getName().equals("kedge_cloudhub_disconnects")) {
                return c.getDataPoints().stream().filter(d -> code.equals(d.getLabels().get("code")))
                        .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
            }
        }
        return 0;
    }

    static int upgradeStatus(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UpgradeException u) {
                return u.getResponseStatusCode();
            }
        }
        return -1;
    }

    @Test
    void identitiesThatDoNotMatchTheCertificateAreRefused() throws Exception {
        EdgeCredentials e2 = credentials(ca, "e2");
        assertThatThrownBy(() -> connect(e2, "e1", null, new Recorder())).isInstanceOf(ExecutionException.class)
                .satisfies(t -> assertThat(upgradeStatus(t)).isEqualTo(403));
        assertThatThrownBy(() -> connect(e2, "e2", "e1", new Recorder())).satisfies(t -> assertThat(upgradeStatus(t)).isEqualTo(403));
        // no client certificate, or one from another CA: the TLS handshake fails
        assertThatThrownBy(() -> connect(null, "e2", null, new Recorder())).isInstanceOf(ExecutionException.class);
        CertificateAuthority foreign = CertificateAuthority.loadOrCreate(tmp.resolve("foreign"), Duration.ofDays(10));
        EdgeCredentials forged = credentials(foreign, "e2");
        assertThatThrownBy(() -> connect(forged, "e2", null, new Recorder())).isInstanceOf(ExecutionException.class);
        // the right identity is accepted
        Recorder ok = new Recorder();
        assertThat(connect(e2, "e2", "e2", ok).isOpen()).isTrue();
    }

    @Test
    void badFramesCloseTheSessionWithTheReasonAndNothingStoredIsLost() throws Exception {
        cloud.standalone().store().create(BuiltinTypes.SERVICES, CloudEdgeLoopbackTest.service("kept", 80), WriteOptions.DEFAULT);
        EdgeCredentials e1 = credentials(ca, "e1");

        Recorder garbage = new Recorder();
        connect(e1, "e1", null, garbage).sendText("{not json", Callback.NOOP);
        await().atMost(Duration.ofSeconds(10)).until(() -> garbage.closeCode.get() != 0);
        assertThat(garbage.closeCode.get()).isEqualTo(1007);
        assertThat(garbage.closeReason).contains("not JSON");

        Recorder unknown = new Recorder();
        connect(e1, "e1", null, unknown).sendText("{\"header\":{\"msg_id\":\"1\"},\"route\":{\"operation\":\"frobnicate\",\"resource\":\"x\"}}",
                Callback.NOOP);
        await().atMost(Duration.ofSeconds(10)).until(() -> unknown.closeCode.get() != 0);
        assertThat(unknown.closeReason).contains("unknown operation \"frobnicate\"");

        Recorder oversized = new Recorder();
        connect(e1, "e1", null, oversized).sendText("x".repeat(9 * 1024 * 1024), Callback.NOOP);
        await().atMost(Duration.ofSeconds(20)).until(() -> oversized.closeCode.get() != 0);
        // The hub closes with 1009 as soon as it reads the frame's length; the client, still writing the
        // 9 MiB, may see its connection reset before that close frame arrives (1006). The hub's own
        // record of the close is what this asserts.
        assertThat(oversized.closeCode.get()).isIn(1009, 1006);
        await().atMost(Duration.ofSeconds(10)).until(() -> disconnects("1009") == 1);

        // a well-formed message the cloud does not serve gets an error reply, and the session stays
        Recorder query = new Recorder();
        Session s = connect(e1, "e1", null, query);
        Message q = Message.create("metamanager", "meta", "query", "default/pod/x", null, null);
        s.sendText(MessageCodec.encode(q), Callback.NOOP);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(query.texts).anySatisfy(t -> {
            Message m = MessageCodec.decode(t);
            assertThat(m.operation()).isEqualTo("error");
            assertThat(m.header().parentMsgId()).isEqualTo(q.msgId());
        }));
        assertThat(s.isOpen()).isTrue();
        // the cloud still sends this node what it stores
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(query.texts).anySatisfy(t ->
                assertThat(MessageCodec.decode(t).resource()).isEqualTo("default/service/kept")));
        assertThat(cloud.standalone().store().get(BuiltinTypes.SERVICES, "default", "kept")).isNotNull();
    }
}
