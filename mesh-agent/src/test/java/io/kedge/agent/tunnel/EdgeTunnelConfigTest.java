package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.agent.config.AgentConfig;
import io.kedge.common.config.ConfigException;
import io.kedge.common.config.YamlConfig;
import org.junit.jupiter.api.Test;

class EdgeTunnelConfigTest {
    static AgentConfig.EdgeTunnel parse(String yaml) {
        return YamlConfig.parse("modules:\n  edgeTunnel: " + yaml, AgentConfig.class).modules().edgeTunnel();
    }

    @Test
    void offUnlessMeshServersAreConfigured() {
        assertThat(AgentConfig.defaults().modules().edgeTunnel().enable()).isFalse();
        AgentConfig.EdgeTunnel t = parse("{meshServers: ['203.0.113.10:7443'], joinToken: a-join-token-of-some-length}");
        assertThat(t.enable()).isTrue();
        assertThat(t.heartbeatPeriod()).isEqualTo(10);
        assertThat(t.enableHolePunch()).isTrue();
        assertThat(t.enableDirectTcp()).isTrue();
        assertThat(t.tcpListenPort()).isEqualTo(20006);
        assertThat(parse("{enableDirectTcp: false, tcpListenPort: 0}").enableDirectTcp()).isFalse();
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> parse("{meshServers: ['relay']}")).isInstanceOf(ConfigException.class).hasMessageContaining("meshServers[0]");
        assertThatThrownBy(() -> parse("{meshServers: ['203.0.113.10:7443']}")).hasMessageContaining("needs an identity");
        assertThatThrownBy(() -> parse("{enable: true}")).hasMessageContaining("meshServers");
        assertThatThrownBy(() -> parse("{heartbeatPeriod: 90}")).hasMessageContaining("heartbeatPeriod");
        assertThatThrownBy(() -> parse("{tcpListenPort: 70000}")).hasMessageContaining("tcpListenPort").hasMessageContaining("70000");
        assertThatThrownBy(() -> parse("{certFile: /x.crt, keyFile: /x.key, meshServers: ['203.0.113.10:7443']}"))
                .hasMessageContaining("caFile");
    }
}
