package io.kedge.server.policy;

import static io.kedge.server.testing.Net.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.common.config.ConfigException;
import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The relay is not an open proxy: what it refuses whatever the configuration says, and what it allows. */
class PeerPolicyTest {
    final OwnAddresses own = OwnAddresses.fixed(List.of(ip("203.0.113.11"), ip("100.64.9.1")),
            List.of(Cidr.of("203.0.113.0/24"), Cidr.of("100.64.9.0/24")));

    PeerPolicy policy(List<String> allowed, RegisteredPeers registered) {
        return new PeerPolicy(List.of(ip("203.0.113.11")), own, allowed.stream().map(Cidr::of).toList(),
                List.of(Cidr.of("198.51.100.64/26")), registered);
    }

    @Test
    void byDefaultOnlyRegisteredAgentsAreReachable() throws Exception {
        Set<InetAddress> registered = Set.of(ip("192.0.2.77"));
        PeerPolicy p = policy(List.of(), registered::contains);
        assertThat(p.check(ip("192.0.2.77")).verdict()).isEqualTo(PeerDecision.Verdict.ALLOWED);
        assertThat(p.check(ip("192.0.2.78")).verdict()).isEqualTo(PeerDecision.Verdict.DENIED);
        assertThat(policy(List.of(), RegisteredPeers.NONE).check(ip("192.0.2.77")).permitted()).isFalse();
    }

    @Test
    void specialAddressesAreRefusedEvenWhenAllowedOrRegistered() throws Exception {
        PeerPolicy p = policy(List.of("0.0.0.0/0"), a -> true);
        for (String s : List.of("127.0.0.1", "127.255.0.9", "0.0.0.0", "0.1.2.3", "169.254.169.254", "169.254.96.16", "224.0.0.251",
                "239.1.1.1", "255.255.255.255", "240.0.0.1", "::1", "fe80::1", "2001:db8::1", "::ffff:127.0.0.1")) {
            assertThat(p.check(ip(s)).verdict()).as(s).isEqualTo(PeerDecision.Verdict.DENIED);
        }
    }

    @Test
    void theRelayHostsOwnAddressesAndNetworksAreRefused() throws Exception {
        PeerPolicy p = policy(List.of("0.0.0.0/0"), a -> true);
        assertThat(p.check(ip("100.64.9.1")).reason()).contains("address of the relay host");
        assertThat(p.check(ip("100.64.9.200")).reason()).contains("100.64.9.0/24");
        assertThat(p.check(ip("203.0.113.99")).permitted()).isFalse();
        // Its relayed address is the exception: allowed, for relay-to-relay delivery only.
        assertThat(p.check(ip("203.0.113.11")).verdict()).isEqualTo(PeerDecision.Verdict.RELAY_ITSELF);
        assertThat(p.isRelayAddress(ip("203.0.113.11"))).isTrue();
        assertThat(p.isRelayAddress(ip("100.64.9.1"))).isFalse();
    }

    @Test
    void configuredNetworksAllowAndDeniedNetworksWin() throws Exception {
        PeerPolicy p = policy(List.of("198.51.100.0/24"), RegisteredPeers.NONE);
        assertThat(p.check(ip("198.51.100.5")).verdict()).isEqualTo(PeerDecision.Verdict.ALLOWED);
        assertThat(p.check(ip("198.51.100.70")).verdict()).isEqualTo(PeerDecision.Verdict.DENIED);
        assertThat(p.check(ip("198.51.101.5")).verdict()).isEqualTo(PeerDecision.Verdict.DENIED);
    }

    @Test
    void ownAddressesAreReReadOnRefresh() throws Exception {
        List<List<InetAddress>> snapshots = List.of(List.of(ip("192.0.2.1")), List.of(ip("192.0.2.2")));
        int[] calls = {0};
        OwnAddresses changing = new OwnAddresses(() -> new OwnAddresses.Snapshot(snapshots.get(Math.min(calls[0]++, 1)), List.of()));
        assertThat(changing.isOwnAddress(ip("192.0.2.1"))).isTrue();
        changing.refresh();
        assertThat(changing.isOwnAddress(ip("192.0.2.1"))).isFalse();
        assertThat(changing.isOwnAddress(ip("192.0.2.2"))).isTrue();
        // This host's own interfaces include loopback.
        assertThat(OwnAddresses.ofThisHost().isOwnAddress(ip("127.0.0.1"))).isTrue();
    }

    @Test
    void cidrParsingAndMatching() throws Exception {
        Cidr c = Cidr.of("198.51.100.77/25");
        assertThat(c.toString()).isEqualTo("198.51.100.0/25");
        assertThat(c.contains(ip("198.51.100.127"))).isTrue();
        assertThat(c.contains(ip("198.51.100.128"))).isFalse();
        assertThat(c.contains(ip("2001:db8::1"))).isFalse();
        assertThat(Cidr.of("192.0.2.5").contains(ip("192.0.2.5"))).isTrue();
        assertThat(Cidr.of("0.0.0.0/0").contains(ip("203.0.113.1"))).isTrue();
        assertThat(Cidr.of("2001:db8::/32").contains(ip("2001:db8:1::1"))).isTrue();
        assertThatThrownBy(() -> Cidr.parse("relay.allowedPeers[0]", "198.51.100.0/33")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("relay.allowedPeers[0]").hasMessageContaining("198.51.100.0/33");
        assertThatThrownBy(() -> Cidr.parse("k", "example.com/24")).isInstanceOf(ConfigException.class).hasMessageContaining("literal");
        assertThatThrownBy(() -> Cidr.parse("k", "abc")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> Cidr.parse("k", "1.2.3.4/x")).isInstanceOf(ConfigException.class).hasMessageContaining("prefix");
    }
}
