package io.kedge.agent.proxy;

import static io.kedge.agent.proxy.TestCatalogs.endpoint;
import static io.kedge.agent.proxy.TestCatalogs.http;
import static io.kedge.agent.proxy.TestCatalogs.service;
import static io.kedge.agent.proxy.TestCatalogs.tcp;
import static io.kedge.agent.proxy.TestCatalogs.udp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.catalog.ServiceType;
import io.kedge.agent.catalog.SessionAffinity;
import io.kedge.common.config.ConfigException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProxyManagerTest {
    private final Cleanup cleanup = new Cleanup();

    @AfterEach
    void cleanUp() throws Exception {
        cleanup.close();
    }

    private static Service special(String name, ServiceType type, List<String> clusterIPs, boolean headless, boolean proxied) {
        return new Service(ServiceKey.of("default", name), type, clusterIPs, headless, type == ServiceType.EXTERNAL_NAME ? "db.example" : null,
                List.of(tcp("", 80)), SessionAffinity.NONE, null, proxied, false);
    }

    private static String echoOnce(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        return new String(s.getInputStream().readNBytes(text.length()), StandardCharsets.UTF_8);
    }

    /**
     * Connects from 127.0.0.5: from the listener's own address, a connect to a freed ephemeral port
     * could pick that very port as its source and connect to itself (TCP simultaneous open).
     */
    private static Socket connectFromAnotherAddress(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        try {
            s.bind(new InetSocketAddress("127.0.0.5", 0));
            s.connect(address, 5000);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.connect(address, 5000);
        return s;
    }

    @Test
    void listensOncePerTcpOrUdpPortOfEveryProxiableService() {
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build()));
        List<List<ProxiedPort>> published = new CopyOnWriteArrayList<>();
        h.proxy.onProxiedPortsChanged(published::add);
        ServicePort sctp = new ServicePort("s", 9, Protocol.SCTP, null, null);
        h.reconcile(new TestCatalogs()
                .put(service("app", tcp("web", 80), udp("dns", 53), sctp))
                .put(special("headless", ServiceType.CLUSTER_IP, List.of(), true, true))
                .put(special("external", ServiceType.EXTERNAL_NAME, List.of(), false, true))
                .put(special("elsewhere", ServiceType.CLUSTER_IP, List.of("198.18.0.77"), false, false))
                .build());
        List<ProxiedPort> ports = h.proxy.proxiedPorts();
        assertThat(ports).extracting(p -> p.service().name() + ":" + p.port().name() + "/" + p.port().protocol())
                .containsExactly("app:dns/UDP", "app:web/TCP");
        assertThat(ports).allSatisfy(p -> {
            assertThat(p.listener().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            assertThat(p.listener().getPort()).isPositive();
            assertThat(p.clusterIPs()).containsExactlyElementsOf(service("app").clusterIPs());
        });
        assertThat(published).containsExactly(ports);
        // The same catalog again changes nothing and tells nobody.
        h.reconcile(new TestCatalogs().put(service("app", tcp("web", 80), udp("dns", 53), sctp)).build());
        assertThat(h.proxy.proxiedPorts()).isEqualTo(ports);
        assertThat(published).hasSize(1);
    }

    @Test
    void endpointChangesReachNewConnectionsWhileOldOnesStay() throws Exception {
        TcpBackend x = cleanup.add(new TcpBackend("x", "127.0.0.2", TcpBackend.ECHO));
        TcpBackend y = cleanup.add(new TcpBackend("y", "127.0.0.3", TcpBackend.ECHO));
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build()));
        TestCatalogs catalogs = new TestCatalogs();
        h.reconcile(catalogs.put(service("svc", tcp("", 80)), endpoint(x.ip(), "", x.port())).build());
        InetSocketAddress address = h.address("svc", "", Protocol.TCP);
        try (Socket old = connect(address)) {
            assertThat(echoOnce(old, "one")).isEqualTo("one");
            h.reconcile(catalogs.put(service("svc", tcp("", 80)), endpoint(y.ip(), "", y.port())).build());
            assertThat(h.address("svc", "", Protocol.TCP)).isEqualTo(address);
            try (Socket fresh = connect(address)) {
                assertThat(echoOnce(fresh, "two")).isEqualTo("two");
            }
            assertThat(y.accepted.get()).isEqualTo(1);
            // The established connection still goes to x.
            assertThat(echoOnce(old, "three")).isEqualTo("three");
            assertThat(x.accepted.get()).isEqualTo(1);
        }
    }

    @Test
    void removingAServiceClosesItsListenerAndFreesEverything() throws Exception {
        TcpBackend echo = cleanup.add(new TcpBackend("echo", "127.0.0.2", TcpBackend.ECHO));
        UdpEchoBackend udpEcho = cleanup.add(new UdpEchoBackend("127.0.0.3"));
        HttpBackend web = cleanup.add(new HttpBackend("web", "127.0.0.4"));
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build()));
        List<List<ProxiedPort>> published = new CopyOnWriteArrayList<>();
        h.proxy.onProxiedPortsChanged(published::add);
        long fdsBefore = ProxyHarness.openFileDescriptors();
        TestCatalogs catalogs = new TestCatalogs()
                .put(service("tcp", tcp("", 80)), endpoint(echo.ip(), "", echo.port()))
                .put(service("udp", udp("", 53)), endpoint(udpEcho.ip(), "", udpEcho.port()))
                .put(service("web", http(80)), endpoint(web.ip(), "http", web.port()));
        h.reconcile(catalogs.build());
        InetSocketAddress tcpAddress = h.address("tcp", "", Protocol.TCP);
        InetSocketAddress udpAddress = h.address("udp", "", Protocol.UDP);
        InetSocketAddress webAddress = h.address("web", "http", Protocol.TCP);

        Socket tcpClient = cleanup.add(connect(tcpAddress));
        assertThat(echoOnce(tcpClient, "hi")).isEqualTo("hi");
        DatagramSocket udpClient = cleanup.add(new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)));
        udpClient.setSoTimeout(5000);
        udpClient.send(new DatagramPacket(new byte[] {1}, 1, udpAddress));
        udpClient.receive(new DatagramPacket(new byte[10], 10));
        assertThat(Curl.get(webAddress, "/")).contains("backend=web");
        assertThat(h.proxy.openChannels()).isGreaterThanOrEqualTo(3 + 2 + 1 + 1);

        h.reconcile(catalogs.remove("tcp").remove("udp").remove("web").build());
        assertThat(h.proxy.proxiedPorts()).isEmpty();
        assertThat(published.get(published.size() - 1)).isEmpty();
        assertThat(h.proxy.openChannels()).isZero();
        assertThat(h.proxy.udpSessions()).isZero();
        // The established connection is gone, and nobody listens any more.
        assertThat(tcpClient.getInputStream().read()).isEqualTo(-1);
        // NIO closes a listening socket registered with a selector only when the selector next runs
        // (the key is deregistered then), which can be just after the channel's close future completes.
        for (InetSocketAddress freed : List.of(tcpAddress, webAddress)) {
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThatThrownBy(() -> connectFromAnotherAddress(freed).close()).isInstanceOf(ConnectException.class));
        }
        for (String svc : List.of("tcp", "udp", "web")) {
            assertThat(h.hasSeriesFor(svc)).as("metrics of %s", svc).isFalse();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> echo.open() == 0);
        tcpClient.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> ProxyHarness.openFileDescriptors() <= fdsBefore + 3);
    }

    @Test
    void listenersTakePortsFromTheConfiguredRangeAndRetryLater() throws Exception {
        int start = threeFreePortsBelowTheEphemeralRange();
        try (ServerSocket taken = new ServerSocket(start, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().portRange(start, start + 2).build()));
            TestCatalogs catalogs = new TestCatalogs().put(service("a", tcp("", 80))).put(service("b", tcp("", 80)))
                    .put(service("c", tcp("", 80)));
            h.reconcile(catalogs.build());
            // One port of three is someone else's: two Services get listeners, the third waits.
            assertThat(h.proxy.proxiedPorts()).hasSize(2).allSatisfy(p ->
                    assertThat(p.listener().getPort()).isBetween(start + 1, start + 2));
            assertThat(h.proxy.healthProblem()).startsWith("1 Service port(s) without a listener:")
                    .contains("every port in " + start + "-" + (start + 2) + " is taken");
            taken.close();
            h.reconcile(catalogs.build());
            assertThat(h.proxy.proxiedPorts()).hasSize(3).allSatisfy(p ->
                    assertThat(p.listener().getPort()).isBetween(start, start + 2));
            assertThat(h.proxy.healthProblem()).isNull();
        }
    }

    /**
     * The first of three consecutive free ports below Linux's ephemeral range (32768-60999): ports
     * the kernel hands out for other processes' outgoing connections cannot take them meanwhile.
     */
    private static int threeFreePortsBelowTheEphemeralRange() throws IOException {
        java.util.Random random = new java.util.Random();
        java.net.InetAddress loopback = java.net.InetAddress.getByName("127.0.0.1");
        for (int attempt = 0; attempt < 100; attempt++) {
            int start = 20_000 + random.nextInt(12_000);
            try (ServerSocket a = new ServerSocket(start, 1, loopback); ServerSocket b = new ServerSocket(start + 1, 1, loopback);
                 ServerSocket c = new ServerSocket(start + 2, 1, loopback)) {
                return start;
            } catch (IOException taken) {
                // try another start
            }
        }
        throw new IOException("no three consecutive free ports in 20000-32000");
    }

    @Test
    void aPortThatBecomesHttpGetsAnHttpListener() throws Exception {
        HttpBackend web = cleanup.add(new HttpBackend("web", "127.0.0.2"));
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build()));
        TestCatalogs catalogs = new TestCatalogs();
        h.reconcile(catalogs.put(service("web", tcp("web", 80)), endpoint(web.ip(), "web", web.port())).build());
        assertThat(Curl.get(h.address("web", "web", Protocol.TCP), "/")).doesNotContain("x-forwarded-for");
        ServicePort asHttp = new ServicePort("web", 80, Protocol.TCP, "http", null);
        h.reconcile(catalogs.put(service("web", asHttp), endpoint(web.ip(), "web", web.port())).build());
        assertThat(Curl.get(h.address("web", "web", Protocol.TCP), "/")).contains("x-forwarded-for: 127.0.0.1");
        assertThat(h.proxy.proxiedPorts()).hasSize(1);
    }

    @Test
    void theStateNamesEveryPortWithItsEndpointsAndHowTheyAreReached() throws Exception {
        FakeTunnel tunnel = cleanup.add(new FakeTunnel("node-b"));
        ProxyHarness h = cleanup.add(new ProxyHarness(ProxyHarness.config().build(), tunnel));
        h.reconcile(new TestCatalogs().put(service("app", tcp("web", 80), udp("dns", 53)),
                new io.kedge.agent.catalog.Endpoint("198.18.1.1", TestCatalogs.NODE, null, null, true, true, false,
                        java.util.Map.of("web", 8080, "dns", 5353)),
                new io.kedge.agent.catalog.Endpoint("198.18.1.2", "node-b", null, null, true, true, false,
                        java.util.Map.of("web", 8080))).build());
        List<ProxyManager.PortState> state = h.proxy.state();
        assertThat(state).extracting(ProxyManager.PortState::port, ProxyManager.PortState::kind, ProxyManager.PortState::policy)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("dns", "UDP", "ROUND_ROBIN"),
                        org.assertj.core.groups.Tuple.tuple("web", "TCP", "ROUND_ROBIN"));
        assertThat(state.get(0).endpoints()).containsExactly(new ProxyManager.EndpointState("198.18.1.1:5353", TestCatalogs.NODE, false, 0));
        assertThat(state.get(0).udpSessions()).isZero();
        assertThat(state.get(1).endpoints()).containsExactly(
                new ProxyManager.EndpointState("198.18.1.1:8080", TestCatalogs.NODE, false, 0),
                new ProxyManager.EndpointState("198.18.1.2:8080", "node-b", true, 0));
        assertThat(state.get(1).listener()).isEqualTo("127.0.0.1:" + h.address("app", "web", Protocol.TCP).getPort());
    }

    @Test
    void aListenAddressThatIsNoIpIsAConfigError() {
        assertThatThrownBy(() -> new ProxyHarness(ProxyHarness.config().listenAddress("mesh.local").build()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("listenAddress").hasMessageContaining("mesh.local");
        assertThatThrownBy(() -> ProxyHarness.config().portRange(100, 50).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("portRangeEnd");
    }
}
