package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.server.MeshServerCommand;
import io.kedge.topo.junit.WithTopology;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.JavaCommand;
import io.kedge.topo.live.Topology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The agent with a TURN server written elsewhere as its relay: coturn's turnserver on relay2
 * (use-auth-secret), mesh-server on relay doing only signaling and handing out credentials for
 * coturn (advertiseOwnRelay: false, externalRelays). p1 (port-restricted) and s1 (symmetric) can
 * only meet through a relay, so the tunnel between them must be relayed by coturn. coturn refuses
 * peers in the documentation ranges unless told otherwise, so the NATs' public side is allowed; and,
 * as coturn's own hardening advice says, the sites' private ranges are denied: coturn closes an
 * allocation whose relay socket fails to send, and ICE pairs relayed candidates with the peer's
 * private host candidates too.
 */
@WithTopology("topologies/two-relays.yaml")
class CoturnRelayIT {
    static final String TOKEN = "coturn-it-join-token-0123456789";
    static final String SECRET = "coturn-it-relay-secret-0123456789";

    @Test
    void theTunnelIsRelayedByCoturnWithCredentialsMeshServerIssued(Topology topo) throws Exception {
        Host relay = topo.host("relay");
        Host coturnHost = topo.host("relay2");
        Path work = Files.createTempDirectory("coturn-it");
        HostProcess coturn = coturnHost.start("coturn", List.of("stdbuf", "-oL", "turnserver", "-n", "-V", "--listening-ip=" + coturnHost.address(),
                "--relay-ip=" + coturnHost.address(), "--listening-port=3478", "--min-port=50000", "--max-port=50999",
                "--use-auth-secret", "--static-auth-secret=" + SECRET, "--realm=coturn-it", "--no-tls", "--no-dtls", "--no-tcp-relay",
                "--no-cli", "--log-file=stdout", "--allowed-peer-ip=203.0.113.0-203.0.113.255",
                "--denied-peer-ip=100.64.0.0-100.127.255.255", "--simple-log", "--db=" + work.resolve("turndb"),
                "--pidfile=" + work.resolve("turnserver.pid")));
        coturn.awaitLine(Pattern.compile(".*Total General servers.*"), Duration.ofSeconds(30));

        Path config = work.resolve("mesh-server.yaml");
        Files.writeString(config, """
                listen: {address: %s, port: 3478, tlsPort: 5349}
                auth: {realm: tunnel, sharedSecrets: [%s]}
                signaling: {port: 7443, joinToken: %s, advertiseOwnRelay: false, externalRelays: ["turn:%s:3478?transport=udp"]}
                admin: {listen: 127.0.0.1:9478}
                threads: 2
                """.formatted(relay.address(), SECRET, TOKEN, coturnHost.address()), StandardCharsets.UTF_8);
        relay.startJava("mesh-server", JavaCommand.TEST_JVM_OPTIONS, MeshServerCommand.class.getName(), List.of("-c", config.toString()))
                .awaitLine(Pattern.compile("mesh-server ready"), Duration.ofSeconds(90));

        String server = relay.address() + ":7443";
        TunnelNodes nodes = new TunnelNodes(TOKEN);
        nodes.useServers(server);
        nodes.startReady(topo.host("p1"));
        nodes.startReady(topo.host("s1"));
        nodes.awaitRegistered("p1");
        nodes.awaitRegistered("s1");

        assertThat(nodes.tcp("p1", "s1", "through-coturn")).isEqualTo("RESULT ok through-coturn");
        assertThat(nodes.udp("p1", "s1", "datagram-through-coturn")).isEqualTo("RESULT ok datagram-through-coturn");
        assertThat(nodes.peerField("p1", "s1", "path")).isEqualTo("relayed");
        assertThat(nodes.peerField("p1", "s1", "via")).as("the relayed address is coturn's").isEqualTo(coturnHost.address());
        assertThat(nodes.tcp("s1", "p1", "back-through-coturn")).isEqualTo("RESULT ok back-through-coturn");
        // mesh-server's own TURN listener relayed nothing: it was never advertised.
        assertThat(TunnelNodes.allocations(relay)).doesNotContain("relayed");
    }
}
