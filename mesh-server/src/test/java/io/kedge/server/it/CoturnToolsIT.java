package io.kedge.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.common.config.YamlConfig;
import io.kedge.common.exec.CommandResult;
import io.kedge.common.exec.CommandRunner;
import io.kedge.server.MeshServer;
import io.kedge.server.auth.SharedSecretCredentials;
import io.kedge.server.config.ServerConfig;
import io.kedge.server.metrics.RelayMetrics;
import io.kedge.server.policy.RegisteredPeers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Interop with coturn's client tools (Debian package coturn) on loopback: turnutils_stunclient and
 * turnutils_natdiscovery against the STUN service (with RFC 5780 on 127.0.0.1 and 127.0.0.2), and
 * turnutils_uclient allocating and relaying over UDP, TCP and TLS with coturn's shared-secret
 * scheme. Its clients talk relay to relay here ({@code -y}); relaying to an outside peer is in
 * {@link RelayTopologyIT}.
 */
class CoturnToolsIT {
    static final String SECRET = "coturn-interop-secret-0123456789";
    static final CommandRunner RUN = new CommandRunner(Duration.ofSeconds(60), Map.of());
    static MeshServer server;
    static int alternatePort;

    @BeforeAll
    static void start() throws Exception {
        int port = FreePorts.udpAndTcp("127.0.0.1", "127.0.0.2");
        alternatePort = FreePorts.udpAndTcp("127.0.0.1", "127.0.0.2");
        server = new MeshServer(YamlConfig.parse("""
                listen: {address: 127.0.0.1, port: %d, tlsPort: 0}
                stun: {alternateAddress: 127.0.0.2, alternatePort: %d}
                auth: {realm: interop, sharedSecrets: [%s]}
                relay: {portRange: 62000-62999}
                admin: {listen: 127.0.0.1:0}
                threads: 2
                """.formatted(port, alternatePort, SECRET), ServerConfig.class), RegisteredPeers.NONE);
        server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static String run(String... argv) {
        CommandResult r = RUN.run(List.of(argv), null, Duration.ofSeconds(60));
        return r.stdout() + "\n" + r.stderr();
    }

    static String uclient(String... options) {
        List<String> argv = new ArrayList<>(List.of("timeout", "50", "turnutils_uclient"));
        argv.addAll(List.of(options));
        argv.add("127.0.0.1");
        return run(argv.toArray(String[]::new));
    }

    /** The last "tot_send_msgs=S, tot_recv_msgs=R" uclient printed, as {S, R}. */
    static int[] totals(String output) {
        Matcher m = Pattern.compile("tot_send_msgs=(\\d+), tot_recv_msgs=(\\d+)").matcher(output);
        int[] last = null;
        while (m.find()) {
            last = new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
        }
        assertThat(last).as("uclient totals in:\n%s", output).isNotNull();
        return last;
    }

    @Test
    void stunclientLearnsItsMappedAddress() {
        String out = run("timeout", "20", "turnutils_stunclient", "-p", String.valueOf(server.udpAddress().getPort()), "127.0.0.1");
        assertThat(out).containsPattern("UDP reflexive addr: 127\\.0\\.0\\.1:\\d+");
    }

    @Test
    void natdiscoveryClassifiesLoopbackAsNoNat() {
        String out = run("timeout", "30", "turnutils_natdiscovery", "-m", "-f", "-p", String.valueOf(server.udpAddress().getPort()),
                "127.0.0.1");
        assertThat(out).contains("NAT with Endpoint Independent Mapping!", "NAT with Endpoint Independent Filtering!");
        assertThat(out).contains("Other addr: : 127.0.0.2:" + alternatePort, "Response origin: : 127.0.0.2:" + alternatePort);
        // The mapped port is the tool's own port: there is no NAT on loopback.
        Matcher reflexive = Pattern.compile("UDP reflexive addr: 127\\.0\\.0\\.1:(\\d+)").matcher(out);
        Matcher local = Pattern.compile("Local addr: : [0-9.]+:(\\d+)").matcher(out);
        assertThat(reflexive.find() && local.find()).as(out).isTrue();
        assertThat(reflexive.group(1)).isEqualTo(local.group(1));
    }

    @Test
    void uclientRelaysOverUdpTcpAndTlsWithSharedSecretCredentials() {
        String port = String.valueOf(server.udpAddress().getPort());
        String tlsPort = String.valueOf(server.tlsAddress().getPort());
        long before = server.metrics().relayedBytes(false);
        List<List<String>> variants = List.of(List.of("-p", port), List.of("-t", "-p", port), List.of("-t", "-S", "-p", tlsPort));
        for (List<String> variant : variants) {
            List<String> options = new ArrayList<>(variant);
            options.addAll(List.of("-y", "-c", "-n", "40", "-m", "2", "-l", "300", "-W", SECRET, "-u", "agent-interop"));
            long refusedBefore = server.metrics().drops(RelayMetrics.Drop.NO_PERMISSION);
            String out = uclient(options.toArray(String[]::new));
            int[] t = totals(out);
            long refused = server.metrics().drops(RelayMetrics.Drop.NO_PERMISSION) - refusedBefore;
            assertThat(t[0]).as("sent with %s:\n%s", variant, out).isEqualTo(80);
            // uclient -y starts sending as soon as its own side is set up; a datagram that overtakes the
            // other side's permission is dropped by the relay, as it must be. Nothing else may go missing.
            assertThat(t[1]).as("received with %s:\n%s", variant, out).isGreaterThanOrEqualTo(72);
            assertThat(t[1] + refused).as("received plus refused for lack of permission, with %s; drops: %s\n%s", variant,
                    drops(), out).isGreaterThanOrEqualTo(80);
        }
        assertThat(server.metrics().relayedBytes(false) - before).as("bytes relayed to clients").isGreaterThanOrEqualTo(3L * 80 * 300);
    }

    static String drops() {
        StringBuilder sb = new StringBuilder();
        for (RelayMetrics.Drop d : RelayMetrics.Drop.values()) {
            sb.append(d).append('=').append(server.metrics().drops(d)).append(' ');
        }
        return sb.toString();
    }

    @Test
    void uclientWithAWrongSecretCannotAllocate() {
        long before = server.metrics().authFailures("bad_integrity");
        String out = uclient("-p", String.valueOf(server.udpAddress().getPort()), "-y", "-c", "-n", "5",
                "-W", "not-the-secret-of-this-relay", "-u", "agent-interop");
        assertThat(out).contains("Cannot complete Allocation");
        assertThat(server.metrics().authFailures("bad_integrity")).isGreaterThan(before);
    }

    @Test
    void uclientWithExpiredCredentialsCannotAllocate() {
        String username = (System.currentTimeMillis() / 1000 - 60) + ":agent-interop";
        long before = server.metrics().authFailures("expired");
        String out = uclient("-p", String.valueOf(server.udpAddress().getPort()), "-y", "-c", "-n", "5",
                "-u", username, "-w", SharedSecretCredentials.password(SECRET, username));
        assertThat(out).contains("Cannot complete Allocation");
        assertThat(server.metrics().authFailures("expired")).isGreaterThan(before);
        // The same tool with a username still valid gets through: it is the expiry that is refused.
        String valid = (System.currentTimeMillis() / 1000 + 600) + ":agent-interop";
        String ok = uclient("-p", String.valueOf(server.udpAddress().getPort()), "-y", "-c", "-n", "5",
                "-u", valid, "-w", SharedSecretCredentials.password(SECRET, valid));
        int[] t = totals(ok);
        assertThat(t[1]).as(ok).isPositive().isEqualTo(t[0]);
    }

    @Test
    void uclientIsRefusedAPermissionTowardsANonAllowedPeer() {
        long relayed = server.metrics().relayedPackets(true);
        String out = uclient("-p", String.valueOf(server.udpAddress().getPort()), "-c", "-n", "3", "-e", "127.0.0.2",
                "-W", SECRET, "-u", "agent-interop");
        assertThat(out).contains("error 403");
        assertThat(server.metrics().relayedPackets(true)).as("nothing relayed").isEqualTo(relayed);
    }
}
