package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.agent.config.AgentConfig;
import io.kedge.common.config.ConfigException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.List;
import org.junit.jupiter.api.Test;

class InterfaceExclusionsTest {
    @Test
    void patternsMatchWholeNamesWithStarAndQuestionMark() {
        InterfaceExclusions ex = InterfaceExclusions.of(List.of("cni*", "flannel.?", "pods0"));
        assertThat(ex.excludes("cni0")).isTrue();
        assertThat(ex.excludes("cni")).isTrue();
        assertThat(ex.excludes("flannel.1")).isTrue();
        assertThat(ex.excludes("flannel.10")).isFalse();
        assertThat(ex.excludes("pods0")).isTrue();
        assertThat(ex.excludes("pods01")).isFalse();
        assertThat(ex.excludes("eth0")).isFalse();
        assertThat(ex.excludes("mycni0")).isFalse();
        // a dot is a dot, not any character
        assertThat(InterfaceExclusions.of(List.of("a.b")).excludes("axb")).isFalse();
        assertThat(ex.matching(List.of("eth0", "cni0", "lo", "pods0"))).containsExactly("cni0", "pods0");
    }

    @Test
    void theDefaultsLeaveOutContainerBridgesButNotUplinks() {
        InterfaceExclusions ex = InterfaceExclusions.of(InterfaceExclusions.DEFAULT_PATTERNS);
        assertThat(ex.matching(List.of("docker0", "cni0", "flannel.1", "cali1a2b3c", "cilium_host", "vxlan.calico", "tunl0", "weave",
                "kube-ipvs0", "veth12ab", "lxc5f", "virbr0", "nodelocaldns"))).hasSize(13);
        assertThat(ex.matching(List.of("eth0", "ens3", "enp0s31f6", "wlan0", "br0", "br-lan", "bond0", "eth0.100", "wg0"))).isEmpty();
    }

    @Test
    void badPatternsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> InterfaceExclusions.of(List.of("cni*", "*"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("every interface");
        assertThat(InterfaceExclusions.problem("a b")).contains("letters, digits");
        assertThat(InterfaceExclusions.problem("")).isNotNull();
        assertThat(InterfaceExclusions.problem("x".repeat(33))).isNotNull();
        assertThat(InterfaceExclusions.problem("eth0.100")).isNull();
    }

    @Test
    void theAgentConfigNamesTheOffendingPattern() {
        assertThat(AgentConfig.defaults().modules().edgeTunnel().excludeInterfaces()).isEqualTo(InterfaceExclusions.DEFAULT_PATTERNS);
        assertThat(EdgeTunnelConfigTest.parse("{excludeInterfaces: [pods0, 'br-*']}").excludeInterfaces()).containsExactly("pods0", "br-*");
        assertThat(EdgeTunnelConfigTest.parse("{excludeInterfaces: []}").excludeInterfaces()).isEmpty();
        assertThatThrownBy(() -> EdgeTunnelConfigTest.parse("{excludeInterfaces: [cni0, 'eth 0']}")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("excludeInterfaces[1]").hasMessageContaining("eth 0");
        assertThatThrownBy(() -> EdgeTunnelConfigTest.parse("{excludeInterfaces: ['?*']}")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("excludeInterfaces[0]").hasMessageContaining("every interface");
    }

    @Test
    void anAddressIsExcludedByTheInterfaceItIsOnNow() throws Exception {
        NetworkInterface lo = NetworkInterface.getByInetAddress(InetAddress.getLoopbackAddress());
        assertThat(lo).isNotNull();
        assertThat(InterfaceExclusions.of(List.of(lo.getName())).excludesAddress(InetAddress.getLoopbackAddress())).isTrue();
        assertThat(InterfaceExclusions.of(List.of("cni*")).excludesAddress(InetAddress.getLoopbackAddress())).isFalse();
        // an address on no interface of this host
        assertThat(InterfaceExclusions.of(List.of(lo.getName())).excludesAddress(InetAddress.getByName("192.0.2.77"))).isFalse();
    }
}
