package io.kedge.agent.proxy;

import io.kedge.common.net.NetTransport;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.agent.config.AgentConfig;
import io.kedge.agent.lb.RingParameters;
import io.kedge.common.config.ConfigException;
import io.kedge.common.config.YamlConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProxyConfigTest {
    @Test
    void defaultsSuitANode() {
        ProxyConfig c = ProxyConfig.from(AgentConfig.defaults());
        assertThat(c.listenAddress()).isEqualTo("169.254.96.16");
        assertThat(c.portRangeStart()).isZero();
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.tcpIdleTimeout()).isEqualTo(Duration.ofHours(1));
        // Generous, unlike EdgeMesh's 250 ms.
        assertThat(c.udpIdleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.ring()).isEqualTo(new RingParameters(100, 10, 1.25));
        assertThat(c.transport()).isEqualTo(NetTransport.Type.AUTO);
    }

    @Test
    void theAgentFileSettingsCarryOver() {
        AgentConfig agent = YamlConfig.parse("""
                commonConfig:
                  bridgeDeviceIP: 169.254.96.16
                modules:
                  edgeProxy:
                    connectTimeoutMillis: 500
                    tcpIdleTimeoutSeconds: 120
                    udpIdleTimeoutSeconds: 30
                    loadBalancer:
                      consistentHash:
                        partitionCount: 71
                        replicationFactor: 20
                        load: 1.5
                """, AgentConfig.class);
        ProxyConfig c = ProxyConfig.from(agent);
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.tcpIdleTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(c.udpIdleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.ring()).isEqualTo(new RingParameters(71, 20, 1.5));
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> ProxyConfig.builder().retries(0, Duration.ZERO).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("connectAttempts").hasMessageContaining("0");
        assertThatThrownBy(() -> ProxyConfig.builder().udpIdleTimeout(Duration.ZERO).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("udpIdleTimeout");
        assertThatThrownBy(() -> ProxyConfig.builder().portRange(0, 10).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("portRangeStart");
        assertThatThrownBy(() -> new RingParameters(100, 10, 0.5))
                .isInstanceOf(ConfigException.class).hasMessageContaining("load").hasMessageContaining("0.5");
    }
}
