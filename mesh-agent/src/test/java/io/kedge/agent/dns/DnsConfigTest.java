package io.kedge.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.agent.config.AgentConfig;
import io.kedge.common.config.ConfigException;
import io.kedge.common.config.YamlConfig;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class DnsConfigTest {
    @Test
    void defaults() {
        DnsConfig c = DnsConfig.defaults();
        assertThat(c.listenAddress()).isEqualTo("169.254.96.16");
        assertThat(c.listenPort()).isEqualTo(53);
        assertThat(c.zone()).isEqualTo("cluster.local");
        assertThat(c.zoneName().toString()).isEqualTo("cluster.local.");
        assertThat(c.ttlSeconds()).isEqualTo(30);
        assertThat(c.upstreamServers()).isEmpty();
        assertThat(c.resolvConf()).isEqualTo("/etc/resolv.conf");
        assertThat(c.udpPayloadSize()).isEqualTo(1232);
    }

    @Test
    void readsYamlAndNamesTheOffendingKey() {
        DnsConfig c = YamlConfig.parse("""
                listenAddress: 127.0.0.53
                listenPort: 5353
                upstreamServers: ["192.0.2.1", "192.0.2.2:5353", "[2001:db8::1]:53"]
                maxCacheTtlSeconds: 60
                """, DnsConfig.class);
        assertThat(c.upstreamAddresses()).containsExactly(new InetSocketAddress("192.0.2.1", 53),
                new InetSocketAddress("192.0.2.2", 5353), new InetSocketAddress("2001:db8::1", 53));
        assertThat(c.maxCacheTtlSeconds()).isEqualTo(60);

        assertThatThrownBy(() -> YamlConfig.parse("upstreamServers: [\"192.0.2.1\", \"dns.example.org\"]", DnsConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("upstreamServers[1]").hasMessageContaining("dns.example.org");
        assertThatThrownBy(() -> YamlConfig.parse("listenAddress: localhost", DnsConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("listenAddress").hasMessageContaining("localhost");
        assertThatThrownBy(() -> YamlConfig.parse("udpPayloadSize: 100000", DnsConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("udpPayloadSize").hasMessageContaining("100000");
        assertThatThrownBy(() -> YamlConfig.parse("zone: \"bad zone\"", DnsConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("zone");
        assertThatThrownBy(() -> YamlConfig.parse("cacheTTL: 30", DnsConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cacheTTL").hasMessageContaining("unknown key");
    }

    @Test
    void parsesServerAddressesWithoutLookingNamesUp() {
        assertThat(DnsConfig.parseServer("192.0.2.1:53")).isEqualTo(new InetSocketAddress("192.0.2.1", 53));
        assertThat(DnsConfig.parseServer("2001:db8::1")).isEqualTo(new InetSocketAddress("2001:db8::1", 53));
        assertThat(DnsConfig.parseServer("[2001:db8::1]:5300")).isEqualTo(new InetSocketAddress("2001:db8::1", 5300));
        assertThat(DnsConfig.parseServer("192.0.2.1:99999")).isNull();
        assertThat(DnsConfig.parseServer("example.org")).isNull();
        assertThat(DnsConfig.parseServer("[2001:db8::1")).isNull();
    }

    @Test
    void takesTheAgentsEdgeMeshStyleKeys() {
        AgentConfig agent = YamlConfig.parse("""
                commonConfig: {bridgeDeviceIP: 169.254.96.16}
                modules:
                  edgeDNS:
                    listenPort: 5353
                    zone: edge.local
                    cacheDNS: {upstreamServers: ["192.0.2.53"], cacheTTL: 45, maxInFlight: 77}
                """, AgentConfig.class);
        DnsConfig c = DnsConfig.from(agent);
        assertThat(c.listenPort()).isEqualTo(5353);
        assertThat(c.zone()).isEqualTo("edge.local");
        assertThat(c.upstreamServers()).containsExactly("192.0.2.53");
        assertThat(c.maxCacheTtlSeconds()).isEqualTo(45);
        assertThat(c.maxInFlight()).isEqualTo(77);
        AgentConfig noCache = YamlConfig.parse("modules: {edgeDNS: {cacheDNS: {enable: false}}}", AgentConfig.class);
        assertThat(DnsConfig.from(noCache).maxCacheTtlSeconds()).isZero();
    }

    @Test
    void resolvConfNameserversInOrder() {
        List<InetSocketAddress> servers = ResolvConf.parse("""
                # comment
                search default.svc.cluster.local svc.cluster.local
                nameserver 192.0.2.10
                nameserver   2001:db8::53
                nameserver fe80::1%eth0
                nameserver not-an-ip
                options ndots:5
                nameserver 192.0.2.11
                """, "test");
        assertThat(servers).containsExactly(new InetSocketAddress("192.0.2.10", 53), new InetSocketAddress("2001:db8::53", 53),
                new InetSocketAddress("192.0.2.11", 53));
        assertThat(ResolvConf.nameservers(java.nio.file.Path.of("/nonexistent/resolv.conf"))).isEmpty();
    }
}
