package io.kedge.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Two mesh-servers (relay, relay2) and agents registered with both. p1 reaches r1 directly and s1
 * (symmetric NAT) only through a relay. Killing the mesh-server that relays p1 <-> s1 must leave the
 * direct tunnel p1 <-> r1 untouched, and p1 <-> s1 must come back through the other mesh-server
 * without anyone acting. The recovery time is printed (the 5 s target is a measurement, not an
 * assertion: tests never assert wall-clock times).
 */
@WithTopology("topologies/two-relays.yaml")
class RelayFailoverIT {
    static final String TOKEN = "failover-it-join-token-0123456789";
    static final String SECRET = "failover-it-relay-secret-0123456789";

    static HostProcess startMeshServer(Host host, String name) throws Exception {
        Path config = Files.createTempFile("failover-it-" + name, ".yaml");
        config.toFile().deleteOnExit();
        Files.writeString(config, """
                listen: {address: %s, port: 3478, tlsPort: 5349}
                auth: {realm: tunnel, sharedSecrets: [%s]}
                signaling: {port: 7443, joinToken: %s, name: %s}
                admin: {listen: 127.0.0.1:9478}
                threads: 2
                """.formatted(host.address(), SECRET, TOKEN, name), StandardCharsets.UTF_8);
        HostProcess p = host.startJava("mesh-server-" + name, JavaCommand.TEST_JVM_OPTIONS, MeshServerCommand.class.getName(),
                List.of("-c", config.toString()));
        p.awaitLine(Pattern.compile("mesh-server ready"), Duration.ofSeconds(90));
        return p;
    }

    @Test
    void relayedTunnelsMoveToTheOtherMeshServerAndDirectOnesKeepFlowing(Topology topo) throws Exception {
        Map<String, HostProcess> servers = new HashMap<>();
        Map<String, String> serverByAddress = new HashMap<>();
        for (String name : List.of("relay", "relay2")) {
            Host h = topo.host(name);
            servers.put(name, startMeshServer(h, name));
            serverByAddress.put(h.address(), name);
        }
        String both = topo.host("relay").address() + ":7443," + topo.host("relay2").address() + ":7443";
        TunnelNodes nodes = new TunnelNodes(TOKEN);
        nodes.useServers(both);
        for (String n : List.of("p1", "r1", "s1")) {
            nodes.startReady(topo.host(n));
        }
        for (String n : List.of("p1", "r1", "s1")) {
            nodes.awaitRegistered(n);
        }

        nodes.assertEchoes("p1", "r1", "direct-before");
        nodes.assertEchoes("p1", "s1", "relayed-before");
        assertThat(nodes.peerField("p1", "r1", "path")).isEqualTo("direct-punched");
        assertThat(nodes.peerField("p1", "s1", "path")).isEqualTo("relayed");
        String via = nodes.peerField("p1", "s1", "via");
        String used = serverByAddress.get(via);
        assertThat(used).as("p1 <-> s1 is relayed by one of the two mesh-servers (via %s)", via).isNotNull();
        String directSince = nodes.peerField("p1", "r1", "since");

        long killedAt = System.nanoTime();
        servers.get(used).kill();

        // The direct tunnel does not depend on any relay: same tunnel, still carrying streams.
        nodes.assertEchoes("p1", "r1", "direct-after");
        assertThat(nodes.peerField("p1", "r1", "since")).isEqualTo(directSince);

        String last = null;
        long recoveredAt = 0;
        for (int attempt = 0; attempt < 60; attempt++) {
            last = nodes.tcp("p1", "s1", "relayed-after");
            if (last.equals("RESULT ok relayed-after")) {
                recoveredAt = System.nanoTime();
                break;
            }
            Thread.sleep(250);
        }
        assertThat(last).isEqualTo("RESULT ok relayed-after");
        System.out.printf("RELAY FAILOVER: p1 <-> s1 carried a stream again %d ms after mesh-server %s was killed%n",
                (recoveredAt - killedAt) / 1_000_000, used);
        assertThat(nodes.udp("p1", "s1", "relayed-after-udp")).isEqualTo("RESULT ok relayed-after-udp");
        assertThat(nodes.peerField("p1", "s1", "path")).isEqualTo("relayed");
        String newVia = nodes.peerField("p1", "s1", "via");
        String survivor = serverByAddress.get(newVia);
        assertThat(survivor).as("now relayed by the surviving mesh-server").isNotEqualTo(used).isNotNull();

        // s1 stops (its input ends, as an agent stops): the allocations it held are deleted, not left
        // to expire, so they do not count against its quota when it comes back.
        assertThat(TunnelNodes.allocations(topo.host(survivor))).contains("\"s1\"");
        nodes.nodes.get("s1").stdin().close();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(TunnelNodes.allocations(topo.host(survivor))).doesNotContain("\"s1\""));
    }
}
