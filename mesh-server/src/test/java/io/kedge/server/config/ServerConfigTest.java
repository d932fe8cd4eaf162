package io.kedge.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.common.config.ConfigException;
import io.kedge.common.config.YamlConfig;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
    static ServerConfig parse(String yaml) {
        return YamlConfig.parse(yaml, ServerConfig.class);
    }

    @Test
    void defaultsAreTheRfcValuesAndUsualPorts() {
        ServerConfig c = parse("auth: {users: {u: p}}\n");
        assertThat(c.listen().port()).isEqualTo(3478);
        assertThat(c.listen().tlsPort()).isEqualTo(5349);
        assertThat(c.relay().defaultLifetimeSeconds()).isEqualTo(600);
        assertThat(c.relay().maxLifetimeSeconds()).isEqualTo(3600);
        assertThat(c.relay().permissionLifetimeSeconds()).isEqualTo(300);
        assertThat(c.relay().channelLifetimeSeconds()).isEqualTo(600);
        assertThat(c.relay().minPort()).isEqualTo(49152);
        assertThat(c.relay().maxPort()).isEqualTo(65535);
        assertThat(c.relay().allowedPeers()).as("only registered agents by default").isEmpty();
        assertThat(c.quotas().bandwidthBytesPerSecond()).isZero();
        assertThat(c.admin().listen()).isEqualTo("127.0.0.1:9478");
    }

    @Test
    void aFullDocumentReads() {
        ServerConfig c = parse("""
                listen: {address: 203.0.113.11, port: 3478, tlsPort: 5349}
                stun: {alternateAddress: 203.0.113.12, alternatePort: 3479}
                auth: {realm: edge, sharedSecrets: [abcdefghijklmnopqrstu]}
                relay: {portRange: 50000-50100, allowedPeers: [198.51.100.0/24], publicAddress: 192.0.2.1}
                quotas: {allocationsPerUser: 3, bandwidthBytesPerSecond: 1000000}
                tcp: {idleTimeoutSeconds: 30}
                admin: {listen: 0.0.0.0:9999}
                threads: 2
                """);
        assertThat(c.relay().allowedNetworks()).hasToString("[198.51.100.0/24]");
        assertThat(c.quotas().burstBytes()).isEqualTo(1_000_000);
        assertThat(c.admin().port()).isEqualTo(9999);
    }

    @Test
    void errorsNameTheKeyAndValue() {
        assertThatThrownBy(() -> parse("relay: {portRange: 70000-80000}\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("relay.portRange").hasMessageContaining("70000-80000");
        assertThatThrownBy(() -> parse("relay: {allowedPeers: [198.51.100.0/24, nope]}\n"))
                .hasMessageContaining("relay.allowedPeers[1]").hasMessageContaining("nope");
        assertThatThrownBy(() -> parse("listen: {address: 300.1.1.1}\n")).hasMessageContaining("listen.address")
                .hasMessageContaining("300.1.1.1");
        assertThatThrownBy(() -> parse("auth: {sharedSecrets: [short]}\n")).hasMessageContaining("auth.sharedSecrets[0]")
                .hasMessageContaining("16");
        assertThatThrownBy(() -> parse("stun: {alternateAddress: 203.0.113.12}\n")).hasMessageContaining("listen.address");
        assertThatThrownBy(() -> parse("relay: {defaultLifetimeSeconds: 900, maxLifetimeSeconds: 600}\n"))
                .hasMessageContaining("relay.maxLifetimeSeconds");
        assertThatThrownBy(() -> parse("quotas: {allocationsPerUser: 0}\n")).hasMessageContaining("quotas.allocationsPerUser");
        assertThatThrownBy(() -> parse("relay: {portrange: 1-2}\n")).hasMessageContaining("relay.portrange: unknown key");
        assertThatThrownBy(() -> parse("tls: {certificate: /x.pem}\n")).hasMessageContaining("privateKey");
        assertThatThrownBy(() -> parse("admin: {listen: localhost}\n")).hasMessageContaining("admin.listen");
    }

    @Test
    void externalRelaysAreTurnUrisWithIpLiteralsAndOwnRelayCanBeLeftOut() {
        ServerConfig c = parse("""
                auth: {sharedSecrets: [abcdefghijklmnopqrstu]}
                signaling: {joinToken: abcdefghijklmnopqrstu, advertiseOwnRelay: false,
                            externalRelays: ["turn:203.0.113.20:3478?transport=udp", " turn:203.0.113.20:3478 "]}
                """);
        assertThat(c.signaling().advertiseOwnRelay()).isFalse();
        assertThat(c.signaling().externalRelays()).containsExactly("turn:203.0.113.20:3478?transport=udp", "turn:203.0.113.20:3478");
        assertThat(parse("auth: {users: {u: p}}\n").signaling().advertiseOwnRelay()).isTrue();
        assertThatThrownBy(() -> parse("""
                auth: {sharedSecrets: [abcdefghijklmnopqrstu]}
                signaling: {joinToken: abcdefghijklmnopqrstu, externalRelays: ["turn:relay.example:3478"]}
                """)).hasMessageContaining("signaling.externalRelays[0]").hasMessageContaining("relay.example");
        assertThatThrownBy(() -> parse("""
                auth: {sharedSecrets: [abcdefghijklmnopqrstu]}
                signaling: {joinToken: abcdefghijklmnopqrstu, externalRelays: ["turn:203.0.113.20:70000"]}
                """)).hasMessageContaining("signaling.externalRelays[0]");
        assertThatThrownBy(() -> parse("""
                auth: {sharedSecrets: [abcdefghijklmnopqrstu]}
                signaling: {joinToken: abcdefghijklmnopqrstu, advertiseOwnRelay: false}
                """)).hasMessageContaining("signaling.advertiseOwnRelay");
    }
}
