package io.kedge.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.catalog.Catalog;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** The cluster zone through the real dig, over UDP and TCP, against the server on 127.0.0.31. */
class DigZoneIT {
    private static final PrometheusRegistry REGISTRY = new PrometheusRegistry();
    private static final Catalog STANDARD = TestCatalogs.standard("www.example.test");
    private static final java.util.concurrent.atomic.AtomicReference<Catalog> CATALOG = new java.util.concurrent.atomic.AtomicReference<>(STANDARD);
    private static DnsServer server;
    private static InetSocketAddress address;

    @BeforeAll
    static void start() {
        DnsConfig config = DnsConfig.builder().listenAddress("127.0.0.31").listenPort(0).upstreamServers(List.of())
                .resolvConf("/nonexistent").tcpIdleTimeoutSeconds(1).maxTcpConnections(4).eventLoopThreads(2).build();
        server = new DnsServer(config, CATALOG::get, REGISTRY);
        server.start();
        address = server.udpAddress();
        assertThat(server.tcpAddress().getPort()).isEqualTo(address.getPort());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aRecordOverUdpAndTcp() {
        for (String transport : new String[] {"+notcp", "+tcp"}) {
            Dig.Result r = Dig.query(address, transport, "web.default.svc.cluster.local", "A");
            assertThat(r.status()).as(r.raw()).isEqualTo("NOERROR");
            assertThat(r.flags()).contains("qr", "aa");
            assertThat(r.answerData("A")).containsExactly("198.18.0.10");
            assertThat(r.answer().get(0).ttl()).isEqualTo(30);
        }
    }

    @Test
    void aaaaAndNodata() {
        assertThat(Dig.query(address, "dual.default.svc.cluster.local", "AAAA").answerData("AAAA")).containsExactly("2001:db8::11");
        Dig.Result nodata = Dig.query(address, "+tcp", "web.default.svc.cluster.local", "AAAA");
        assertThat(nodata.status()).isEqualTo("NOERROR");
        assertThat(nodata.answer()).isEmpty();
        assertThat(nodata.authority()).singleElement().satisfies(soa -> assertThat(soa.type()).isEqualTo("SOA"));
    }

    @Test
    void nxdomainCarriesTheSoa() {
        for (String transport : new String[] {"+notcp", "+tcp"}) {
            Dig.Result r = Dig.query(address, transport, "missing.default.svc.cluster.local", "A");
            assertThat(r.status()).isEqualTo("NXDOMAIN");
            assertThat(r.flags()).contains("aa");
            assertThat(r.authority()).singleElement().satisfies(soa -> {
                assertThat(soa.name()).isEqualTo("cluster.local.");
                assertThat(soa.type()).isEqualTo("SOA");
                assertThat(soa.data()).endsWith(" 30");
            });
        }
    }

    @Test
    void srvWithTargetsInTheAdditionalSection() {
        Dig.Result r = Dig.query(address, "_postgres._tcp.db.data.svc.cluster.local", "SRV");
        assertThat(r.answerData("SRV")).hasSize(3).allSatisfy(d -> assertThat(d).contains(" 15432 "));
        assertThat(r.additional()).extracting(Dig.Rr::data).contains("198.18.1.1", "198.18.1.2", "198.18.1.3");
        Dig.Result overTcp = Dig.query(address, "+tcp", "_http._tcp.web.default.svc.cluster.local", "SRV");
        assertThat(overTcp.answerData("SRV")).containsExactly("0 100 80 web.default.svc.cluster.local.");
    }

    @Test
    void reverseLookups() {
        assertThat(Dig.query(address, "-x", "198.18.0.10").answerData("PTR")).containsExactly("web.default.svc.cluster.local.");
        assertThat(Dig.query(address, "+tcp", "-x", "198.18.1.2").answerData("PTR")).containsExactly("db-1.db.data.svc.cluster.local.");
        assertThat(Dig.query(address, "-x", "2001:db8::11").answerData("PTR")).containsExactly("dual.default.svc.cluster.local.");
    }

    @Test
    void externalNameAndInternalAlias() {
        Dig.Result ext = Dig.query(address, "ext.default.svc.cluster.local", "A");
        assertThat(ext.answerData("CNAME")).containsExactly("www.example.test.");
        Dig.Result alias = Dig.query(address, "+tcp", "alias.default.svc.cluster.local", "A");
        assertThat(alias.answerData("CNAME")).containsExactly("web.default.svc.cluster.local.");
        assertThat(alias.answerData("A")).containsExactly("198.18.0.10");
    }

    @Test
    void ednsIsAnsweredWithOursAndAbsentWithoutIt() {
        Dig.Result edns = Dig.query(address, "+bufsize=4096", "+dnssec", "web.default.svc.cluster.local", "A");
        assertThat(edns.ednsUdp()).isEqualTo(1232);
        assertThat(edns.ednsFlags()).contains("do");
        Dig.Result plain = Dig.query(address, "+noedns", "web.default.svc.cluster.local", "A");
        assertThat(plain.ednsUdp()).isNull();
        assertThat(plain.answerData("A")).containsExactly("198.18.0.10");
    }

    @Test
    void largeAnswersAreTruncatedOverUdpAndCompleteOverTcp() {
        Dig.Result truncated = Dig.query(address, "+noedns", "+ignore", "wide.default.svc.cluster.local", "A");
        assertThat(truncated.flags()).contains("tc");
        assertThat(truncated.size()).isBetween(1, 512);
        assertThat(truncated.answer().size()).isLessThan(60);
        // Without +ignore dig retries over TCP, as a resolver would.
        Dig.Result retried = Dig.query(address, "+noedns", "wide.default.svc.cluster.local", "A");
        assertThat(retried.flags()).doesNotContain("tc");
        assertThat(retried.answer()).hasSize(60);
        Dig.Result edns = Dig.query(address, "+bufsize=1232", "wide.default.svc.cluster.local", "A");
        assertThat(edns.flags()).doesNotContain("tc");
        assertThat(edns.answer()).hasSize(60);
    }

    @Test
    void repeatedQueriesFollowCatalogChanges() {
        // +nocookie: the same query bytes each time, so repeats are answered from the reply cache.
        for (String transport : new String[] {"+notcp", "+tcp"}) {
            for (int i = 0; i < 3; i++) {
                assertThat(Dig.query(address, transport, "+nocookie", "web.default.svc.cluster.local", "A").answerData("A"))
                        .containsExactly("198.18.0.10");
            }
        }
        try {
            java.util.Map<io.kedge.agent.catalog.ServiceKey, io.kedge.agent.catalog.Service> services = new java.util.HashMap<>(STANDARD.services());
            services.put(TestCatalogs.WEB, TestCatalogs.clusterIp(TestCatalogs.WEB, List.of("198.18.0.77"), List.of()));
            CATALOG.set(new Catalog(STANDARD.generation() + 1, services, STANDARD.endpoints(), java.util.Map.of()));
            for (String transport : new String[] {"+notcp", "+tcp"}) {
                assertThat(Dig.query(address, transport, "+nocookie", "web.default.svc.cluster.local", "A").answerData("A"))
                        .containsExactly("198.18.0.77");
            }
        } finally {
            CATALOG.set(STANDARD);
        }
        assertThat(Dig.query(address, "+nocookie", "web.default.svc.cluster.local", "A").answerData("A")).containsExactly("198.18.0.10");
    }

    @Test
    void caseOfTheQuestionIsKept() {
        Dig.Result r = Dig.query(address, "WEB.Default.SVC.cluster.local", "A");
        assertThat(r.answer()).singleElement().satisfies(rr -> assertThat(rr.name()).isEqualTo("WEB.Default.SVC.cluster.local."));
    }

    @Test
    void specVersion() {
        assertThat(Dig.query(address, "+tcp", "dns-version.cluster.local", "TXT").answerData("TXT")).containsExactly("\"1.1.0\"");
    }

    @Test
    void junkOverUdpGetsNothingOrASmallErrorAndTheServerGoesOn() throws Exception {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            socket.setSoTimeout(1000);
            socket.send(new DatagramPacket(new byte[] {1, 2, 3, 4, 5}, 5, address));
            byte[] buf = new byte[4096];
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            boolean answered;
            try {
                socket.receive(in);
                answered = true;
            } catch (SocketTimeoutException e) {
                answered = false;
            }
            assertThat(answered).as("a 5-byte packet has no header to answer").isFalse();

            byte[] formerr = {0x4a, 0x4b, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0};
            socket.send(new DatagramPacket(formerr, formerr.length, address));
            socket.setSoTimeout(10_000);
            socket.receive(in);
            Message reply = new Message(java.util.Arrays.copyOf(in.getData(), in.getLength()));
            assertThat(reply.getHeader().getID()).isEqualTo(0x4a4b);
            assertThat(reply.getRcode()).isEqualTo(Rcode.FORMERR);
            assertThat(in.getLength()).isEqualTo(12);

            byte[] query = ZoneAnswersTest.query("web.default.svc.cluster.local.", Type.A).toWire();
            socket.send(new DatagramPacket(query, query.length, address));
            socket.receive(in);
            assertThat(new Message(java.util.Arrays.copyOf(in.getData(), in.getLength())).getRcode()).isEqualTo(Rcode.NOERROR);
        }
    }

    @Test
    void aBurstFromSeveralClientsIsAnsweredEachToItsSender() throws Exception {
        // On epoll one read takes up to DATAGRAMS_PER_READ datagrams (recvmmsg): a burst from several
        // sockets, with an oversized datagram in it, must come back whole, each reply to its own sender.
        int clients = 4;
        int perClient = 3 * DnsServer.DATAGRAMS_PER_READ;
        List<DatagramSocket> sockets = new ArrayList<>();
        try {
            for (int c = 0; c < clients; c++) {
                DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                socket.setReceiveBufferSize(1 << 20);
                socket.setSoTimeout(10_000);
                sockets.add(socket);
            }
            byte[] oversized = new byte[DnsServer.MAX_UDP_QUERY_BYTES + 1000];
            System.arraycopy(ZoneAnswersTest.query("web.default.svc.cluster.local.", Type.A).toWire(), 0, oversized, 0, 12);
            int oversizedId = 9999;
            oversized[0] = (byte) (oversizedId >> 8);
            oversized[1] = (byte) oversizedId;
            for (int i = 0; i < perClient; i++) {
                for (int c = 0; c < clients; c++) {
                    Message query = ZoneAnswersTest.query("web.default.svc.cluster.local.", Type.A);
                    query.getHeader().setID(c * 1000 + i);
                    byte[] wire = query.toWire();
                    sockets.get(c).send(new DatagramPacket(wire, wire.length, address));
                }
                if (i == perClient / 2) {
                    sockets.get(0).send(new DatagramPacket(oversized, oversized.length, address));
                }
            }
            boolean oversizedAnswered = false;
            for (int c = 0; c < clients; c++) {
                List<Integer> ids = new ArrayList<>();
                byte[] buf = new byte[4096];
                while (ids.size() < perClient) {
                    DatagramPacket in = new DatagramPacket(buf, buf.length);
                    sockets.get(c).receive(in);
                    Message reply = new Message(java.util.Arrays.copyOf(in.getData(), in.getLength()));
                    if (reply.getHeader().getID() == oversizedId) {
                        assertThat(c).as("the oversized datagram's reply goes to its sender").isZero();
                        assertThat(reply.getRcode()).isEqualTo(Rcode.FORMERR);
                        assertThat(in.getLength()).isEqualTo(12);
                        oversizedAnswered = true;
                        continue;
                    }
                    assertThat(reply.getRcode()).as("reply %d", reply.getHeader().getID()).isEqualTo(Rcode.NOERROR);
                    assertThat(reply.getSection(org.xbill.DNS.Section.ANSWER)).hasSize(1);
                    ids.add(reply.getHeader().getID());
                }
                List<Integer> expected = new ArrayList<>();
                for (int i = 0; i < perClient; i++) {
                    expected.add(c * 1000 + i);
                }
                assertThat(ids).as("client %d's replies", c).containsExactlyInAnyOrderElementsOf(expected);
            }
            if (!oversizedAnswered) {
                // Its FORMERR may come after client 0's last good reply.
                DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
                sockets.get(0).receive(in);
                Message reply = new Message(java.util.Arrays.copyOf(in.getData(), in.getLength()));
                assertThat(reply.getHeader().getID()).isEqualTo(oversizedId);
                assertThat(reply.getRcode()).isEqualTo(Rcode.FORMERR);
            }
        } finally {
            sockets.forEach(DatagramSocket::close);
        }
    }

    @Test
    void idleAndOversizedTcpConnectionsAreClosed() throws Exception {
        try (Socket idle = new Socket()) {
            idle.connect(server.tcpAddress());
            idle.setSoTimeout(30_000);
            // The idle timeout is 1 s: the server closes, and the read sees the end of the stream.
            assertThat(idle.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket big = new Socket()) {
            big.connect(server.tcpAddress());
            big.setSoTimeout(30_000);
            DataOutputStream out = new DataOutputStream(big.getOutputStream());
            out.writeShort(60_000);
            out.write(new byte[5000]);
            out.flush();
            assertThat(readToEnd(big.getInputStream())).isZero();
        }
    }

    @Test
    void tcpConnectionsBeyondTheLimitAreClosed() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Socket s = new Socket();
                s.connect(server.tcpAddress());
                sockets.add(s);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> scrape().contains("kedge_dns_tcp_connections 4.0"));
            try (Socket extra = new Socket()) {
                extra.connect(server.tcpAddress());
                extra.setSoTimeout(30_000);
                assertThat(extra.getInputStream().read()).isEqualTo(-1);
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        assertThat(scrape()).contains("kedge_dns_dropped_total{reason=\"tcp-limit\"}");
    }

    @Test
    void metricsCountQueriesBySourceTypeAndRcode() throws Exception {
        Dig.query(address, "web.default.svc.cluster.local", "A");
        Dig.query(address, "nope.default.svc.cluster.local", "A");
        String text = scrape();
        assertThat(text).contains("kedge_dns_queries_total{qtype=\"A\",rcode=\"NOERROR\",source=\"zone\",transport=\"udp\"}");
        assertThat(text).contains("kedge_dns_queries_total{qtype=\"A\",rcode=\"NXDOMAIN\",source=\"zone\",transport=\"udp\"}");
    }

    /** Bytes read until the server ends the connection (a reset, when our unread data was discarded, ends it too). */
    private static int readToEnd(InputStream in) throws IOException {
        int n = 0;
        try {
            while (in.read() >= 0) {
                n++;
            }
        } catch (java.net.SocketException reset) {
            // closed with data of ours still unread: the kernel resets
        }
        return n;
    }

    static String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, REGISTRY.scrape());
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
