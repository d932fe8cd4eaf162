package io.kedge.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.common.exec.CommandResult;
import io.kedge.server.MeshServerCommand;
import io.kedge.server.auth.SharedSecretCredentials;
import io.kedge.server.auth.TurnCredentials;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.JavaCommand;
import io.kedge.topo.live.Topology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * mesh-server on the internet segment of a topology with real NATs around it: STUN and RFC 5780
 * see the NATs as they are built; hosts behind a symmetric and a port-restricted NAT, which cannot
 * reach each other directly, exchange UDP through their allocations; a site that drops UDP relays
 * over TCP and TLS; allocations reach a peer outside (turnutils_peer) through real relay sockets,
 * with our client and with turnutils_uclient; permissions towards the relay's network or
 * non-allowed networks are refused.
 */
@WithTopology("topologies/relay.yaml")
class RelayTopologyIT {
    static final String SECRET = "topology-relay-secret-0123456789";
    static final String ALTERNATE = "203.0.113.20";
    static final SharedSecretCredentials CREDENTIALS = new SharedSecretCredentials(List.of(SECRET), Clock.systemUTC());
    static Path configDir;
    static String relay;
    static String peer;

    @BeforeAll
    static void startRelayAndPeer(Topology topo) throws IOException {
        Host relayHost = topo.host("relay");
        relay = relayHost.address();
        peer = topo.host("peer").address();
        // A second address on the relay for RFC 5780's CHANGE-REQUEST (removed with the namespace).
        relayHost.execOk("ip", "addr", "add", ALTERNATE + "/24", "dev", "eth0");
        configDir = Files.createTempDirectory("kedge-relay-it");
        Path config = Files.writeString(configDir.resolve("mesh-server.yaml"), """
                listen: {address: %s, port: 3478, tlsPort: 5349}
                stun: {alternateAddress: %s, alternatePort: 3479}
                auth: {realm: topology, sharedSecrets: [%s]}
                relay: {allowedPeers: [%s/32]}
                admin: {listen: 127.0.0.1:9478}
                threads: 2
                """.formatted(relay, ALTERNATE, SECRET, peer));
        relayHost.startJava("mesh-server", JavaCommand.TEST_JVM_OPTIONS, MeshServerCommand.class.getName(),
                        List.of("-c", config.toString()))
                .awaitLine(Pattern.compile("mesh-server ready"), Duration.ofSeconds(90));
        // An outside peer that echoes every datagram (coturn's test peer).
        HostProcess echo = topo.host("peer").start("turnutils_peer", List.of("turnutils_peer", "-L", peer, "-p", "3480"));
        assertThat(echo.isAlive()).isTrue();
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (configDir != null) {
            try (var files = Files.list(configDir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(configDir);
        }
    }

    static TurnCredentials credentials(String agent) {
        return CREDENTIALS.issue(agent, Duration.ofMinutes(30));
    }

    static ClientProcess client(Topology topo, String host, String transport) {
        TurnCredentials c = credentials("agent-" + host + "-" + transport);
        int port = transport.equals("tls") ? 5349 : 3478;
        ClientProcess p = ClientProcess.start(topo.host(host), transport, relay, port, c.username(), c.password());
        assertThat(p.failure).as("allocation from %s over %s", host, transport).isNull();
        return p;
    }

    static String ip(String ipPort) {
        return ipPort.substring(0, ipPort.lastIndexOf(':'));
    }

    static String run(Host host, String... argv) {
        CommandResult r = host.exec(Duration.ofSeconds(90), List.of(argv), null);
        return r.stdout() + "\n" + r.stderr();
    }

    @Test
    void stunSeesEachHostBehindItsNatAndRfc5780ClassifiesTheNats(Topology topo) {
        String p1 = run(topo.host("p1"), "timeout", "20", "turnutils_stunclient", relay);
        assertThat(p1).containsPattern("UDP reflexive addr: " + Pattern.quote(topo.host("gw-p").address()) + ":\\d+");
        String s1 = run(topo.host("s1"), "timeout", "20", "turnutils_stunclient", relay);
        assertThat(s1).containsPattern("UDP reflexive addr: " + Pattern.quote(topo.host("gw-s").address()) + ":\\d+");
        String routed = run(topo.host("peer"), "timeout", "20", "turnutils_stunclient", relay);
        assertThat(routed).containsPattern("UDP reflexive addr: " + Pattern.quote(peer) + ":\\d+");

        String portRestricted = run(topo.host("p1"), "timeout", "40", "turnutils_natdiscovery", "-m", "-f", relay);
        assertThat(portRestricted).contains("NAT with Endpoint Independent Mapping!", "NAT with Address and Port Dependent Filtering!");
        String symmetric = run(topo.host("s1"), "timeout", "40", "turnutils_natdiscovery", "-m", relay);
        assertThat(symmetric).contains("NAT with Address and Port Dependent Mapping!");
    }

    @Test
    void symmetricAndPortRestrictedHostsCannotPunchButRelay(Topology topo) {
        ClientProcess a = client(topo, "s1", "udp");
        ClientProcess b = client(topo, "p1", "udp");
        try {
            // Each sends straight to the other's public mapping: neither NAT lets it through.
            List<Thread> punches = new ArrayList<>();
            for (ClientProcess[] pair : new ClientProcess[][] {{a, b}, {b, a}}) {
                Thread t = new Thread(() -> assertThat(pair[0].command("punch " + pair[1].mapped + " 20")).isEqualTo("PUNCHED 20"));
                t.start();
                punches.add(t);
            }
            for (Thread t : punches) {
                t.join(60_000);
            }
            assertThat(a.stats()[2]).as("datagrams reaching s1 directly").isZero();
            assertThat(b.stats()[2]).as("datagrams reaching p1 directly").isZero();

            // Through the relay: a permits b's relayed address and echoes; b sends on a channel.
            assertThat(a.command("permit " + b.relayed)).isEqualTo("OK permit");
            assertThat(a.command("echo")).isEqualTo("OK echo");
            assertThat(b.command("permit " + a.relayed)).isEqualTo("OK permit");
            assertThat(b.command("bind 0x4000 " + a.relayed)).isEqualTo("OK bind");
            assertThat(b.command("send 0x4000 200 500")).isEqualTo("SENT 200");
            await().atMost(Duration.ofSeconds(30)).until(() -> b.stats()[0] >= 200);
            assertThat(b.stats()[1]).isEqualTo(200L * 500);
            assertThat(a.stats()[0]).isEqualTo(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            a.stop();
            b.stop();
        }
    }

    @Test
    void aSiteThatDropsUdpRelaysOverTcpAndTls(Topology topo) {
        String stun = run(topo.host("u1"), "timeout", "10", "turnutils_stunclient", relay);
        assertThat(stun).as("UDP really is blocked at site u").doesNotContain("reflexive addr");
        for (String transport : List.of("tcp", "tls")) {
            ClientProcess u = client(topo, "u1", transport);
            ClientProcess s = client(topo, "s1", "udp");
            try {
                assertThat(s.command("permit " + u.relayed)).isEqualTo("OK permit");
                assertThat(s.command("echo")).isEqualTo("OK echo");
                assertThat(u.command("permit " + s.relayed)).isEqualTo("OK permit");
                assertThat(u.command("bind 0x4001 " + s.relayed)).isEqualTo("OK bind");
                // 333 bytes: ChannelData over TCP and TLS is padded, and the padding must be handled both ways.
                assertThat(u.command("send 0x4001 150 333")).isEqualTo("SENT 150");
                await().atMost(Duration.ofSeconds(30)).until(() -> u.stats()[0] >= 150);
                assertThat(u.stats()[1]).as("over %s", transport).isEqualTo(150L * 333);
            } finally {
                u.stop();
                s.stop();
            }
        }
    }

    @Test
    void allocationsReachAnOutsidePeerThroughRelaySockets(Topology topo) {
        ClientProcess s = client(topo, "s1", "udp");
        try {
            assertThat(s.command("bind 0x4002 " + peer + ":3480")).isEqualTo("OK bind");
            assertThat(s.command("send 0x4002 100 700")).isEqualTo("SENT 100");
            await().atMost(Duration.ofSeconds(30)).until(() -> s.stats()[0] >= 100);
            // Send indications too; the echo comes back as Data indications... or on the bound channel.
            assertThat(s.command("sendto " + peer + ":3480 20 100")).isEqualTo("SENT 20");
            await().atMost(Duration.ofSeconds(30)).until(() -> s.stats()[0] >= 120);
        } finally {
            s.stop();
        }
    }

    @Test
    void uclientRelaysToAnOutsidePeerOverUdpTcpAndTls(Topology topo) {
        record Case(String host, List<String> options) {
        }
        for (Case c : List.of(new Case("p1", List.of()), new Case("s1", List.of()), new Case("u1", List.of("-t")),
                new Case("u1", List.of("-t", "-S", "-p", "5349")))) {
            List<String> argv = new ArrayList<>(List.of("timeout", "60", "turnutils_uclient"));
            argv.addAll(c.options());
            argv.addAll(List.of("-c", "-n", "50", "-l", "400", "-e", peer, "-r", "3480", "-W", SECRET, "-u", "uclient-" + c.host(), relay));
            String out = run(topo.host(c.host()), argv.toArray(String[]::new));
            Matcher m = Pattern.compile("tot_send_msgs=(\\d+), tot_recv_msgs=(\\d+)").matcher(out);
            String last = null;
            while (m.find()) {
                last = m.group(1) + "/" + m.group(2);
            }
            assertThat(last).as("uclient on %s with %s:\n%s", c.host(), c.options(), out).isEqualTo("50/50");
        }
    }

    @Test
    void permissionsTowardsTheRelaysNetworkOrOtherSitesAreRefused(Topology topo) {
        ClientProcess s = client(topo, "s1", "udp");
        try {
            // The relay's own network (the gateways live there) and a site not allowed by configuration.
            assertThat(s.command("permit " + topo.host("gw-p").address() + ":1")).isEqualTo("ERROR permit 403");
            assertThat(s.command("permit " + ALTERNATE + ":3478")).isEqualTo("ERROR permit 403");
            assertThat(s.command("permit " + topo.host("p1").address() + ":1")).isEqualTo("ERROR permit 403");
            assertThat(s.command("bind 0x4003 127.0.0.1:9478")).isEqualTo("ERROR bind 403");
        } finally {
            s.stop();
        }
        String out = run(topo.host("p1"), "timeout", "30", "turnutils_uclient", "-c", "-n", "3", "-e", topo.host("gw-s").address(),
                "-W", SECRET, "-u", "uclient-refused", relay);
        assertThat(out).contains("error 403");
    }

    @Test
    void metricsCountWhatWasRelayed(Topology topo) {
        ClientProcess s = client(topo, "s1", "udp");
        try {
            s.command("bind 0x4004 " + peer + ":3480");
            s.command("send 0x4004 10 100");
            await().atMost(Duration.ofSeconds(30)).until(() -> s.stats()[0] >= 10);
        } finally {
            s.stop();
        }
        String metrics = run(topo.host("relay"), "curl", "-sf", "http://127.0.0.1:9478/metrics");
        Matcher toPeer = Pattern.compile("kedge_turn_relayed_bytes_total\\{direction=\"to_peer\"} ([0-9.E]+)").matcher(metrics);
        assertThat(toPeer.find()).as(metrics).isTrue();
        assertThat(Double.parseDouble(toPeer.group(1))).isGreaterThanOrEqualTo(1000);
        assertThat(run(topo.host("relay"), "curl", "-sf", "http://127.0.0.1:9478/readyz")).contains("ready");
    }
}
