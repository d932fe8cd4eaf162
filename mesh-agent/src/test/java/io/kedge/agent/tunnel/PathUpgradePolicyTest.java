package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.agent.config.AgentConfig;
import io.kedge.common.config.ConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PathUpgradePolicyTest {
    private static final PathUpgradePolicy POLICY = new PathUpgradePolicy(true, Duration.ofSeconds(30), Duration.ofMinutes(10),
            Duration.ofMinutes(2));

    @Test
    void theWaitDoublesPerFailedTryUpToTheMaximum() {
        double noJitter = 0.5; // the factor's midpoint
        assertThat(POLICY.delay(0, noJitter)).isEqualTo(Duration.ofSeconds(30));
        assertThat(POLICY.delay(1, noJitter)).isEqualTo(Duration.ofSeconds(60));
        assertThat(POLICY.delay(4, noJitter)).isEqualTo(Duration.ofSeconds(480));
        assertThat(POLICY.delay(5, noJitter)).isEqualTo(Duration.ofMinutes(10));
        assertThat(POLICY.delay(1_000_000, noJitter)).isEqualTo(Duration.ofMinutes(10));
        assertThat(POLICY.delay(-1, noJitter)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void jitterSpreadsEachWaitByAFifthEitherWay() {
        assertThat(POLICY.delay(0, 0.0)).isEqualTo(Duration.ofSeconds(24));
        assertThat(POLICY.delay(0, 0.99)).isEqualTo(Duration.ofMillis(35_880));
        assertThat(POLICY.delay(10, 0.0)).isEqualTo(Duration.ofMinutes(8));
        assertThat(POLICY.delay(10, 0.25)).isNotEqualTo(POLICY.delay(10, 0.75));
    }

    @Test
    void inconsistentDurationsAreRefused() {
        assertThatThrownBy(() -> new PathUpgradePolicy(true, Duration.ZERO, Duration.ofMinutes(1), Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PathUpgradePolicy(true, Duration.ofMinutes(2), Duration.ofMinutes(1), Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PathUpgradePolicy(true, Duration.ofMinutes(1), Duration.ofMinutes(1), null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theAgentConfigTurnsUpgradesOnByDefault() {
        AgentConfig.PathUpgrade defaults = AgentConfig.defaults().modules().edgeTunnel().pathUpgrade();
        assertThat(defaults.enable()).isTrue();
        assertThat(defaults.firstDelay()).isEqualTo(30);
        assertThat(defaults.maxDelay()).isEqualTo(600);
        assertThat(defaults.drainTimeout()).isEqualTo(120);
        AgentConfig.PathUpgrade set = EdgeTunnelConfigTest.parse("{pathUpgrade: {enable: false, firstDelay: 5, maxDelay: 60, drainTimeout: 10}}")
                .pathUpgrade();
        assertThat(set).isEqualTo(new AgentConfig.PathUpgrade(false, 5, 60, 10));
        assertThat(EdgeTunnelConfigTest.parse("{pathUpgrade: {firstDelay: 900}}").pathUpgrade().maxDelay()).isEqualTo(900);
    }

    @Test
    void badUpgradeSettingsNameTheirKey() {
        assertThatThrownBy(() -> EdgeTunnelConfigTest.parse("{pathUpgrade: {firstDelay: 0}}")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("pathUpgrade.firstDelay").hasMessageContaining("0");
        assertThatThrownBy(() -> EdgeTunnelConfigTest.parse("{pathUpgrade: {firstDelay: 60, maxDelay: 30}}"))
                .hasMessageContaining("pathUpgrade.maxDelay").hasMessageContaining("30");
        assertThatThrownBy(() -> EdgeTunnelConfigTest.parse("{pathUpgrade: {drainTimeout: 7200}}")).hasMessageContaining("pathUpgrade.drainTimeout");
        assertThatThrownBy(() -> EdgeTunnelConfigTest.parse("{pathUpgrade: {firstdelay: 10}}")).hasMessageContaining("pathUpgrade.firstdelay");
    }
}
