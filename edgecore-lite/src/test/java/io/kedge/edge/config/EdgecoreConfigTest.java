package io.kedge.edge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.common.config.ConfigException;
import io.kedge.common.config.YamlConfig;
import org.junit.jupiter.api.Test;

class EdgecoreConfigTest {
    @Test
    void whatJoinWritesLoadsWithDefaults() {
        EdgecoreConfig c = YamlConfig.parse("nodeName: e1\ndataDir: /tmp/x\ncloudHub: {server: 203.0.113.10:10000}\n", EdgecoreConfig.class);
        assertThat(c.cloudHub().keepaliveSeconds()).isEqualTo(15);
        assertThat(c.cloudHub().readTimeoutSeconds()).isEqualTo(30);
        assertThat(c.cloudHub().host()).isEqualTo("203.0.113.10");
        assertThat(c.metaServer().listen()).isEqualTo("127.0.0.1:10550");
    }

    @Test
    void errorsNameTheKeyAndTheValue() {
        assertThatThrownBy(() -> YamlConfig.parse("nodeName: e1\ncloudHub: {server: nohost}\n", EdgecoreConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cloudHub.server").hasMessageContaining("nohost");
        assertThatThrownBy(() -> YamlConfig.parse("nodeName: E_1\ncloudHub: {server: h:1}\n", EdgecoreConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("nodeName").hasMessageContaining("E_1");
        assertThatThrownBy(() -> YamlConfig.parse("nodeName: e1\ncloudHub: {server: h:1, pingSeconds: 30, readTimeoutSeconds: 20}\n",
                EdgecoreConfig.class)).isInstanceOf(ConfigException.class).hasMessageContaining("cloudHub.readTimeoutSeconds");
        assertThatThrownBy(() -> YamlConfig.parse("modules: {cloudHub: {enable: true, advertiseAddress: ['bad address']}}\n",
                CloudcoreConfig.class)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("modules.cloudHub.advertiseAddress[0]").hasMessageContaining("bad address");
        assertThatThrownBy(() -> YamlConfig.parse("modules: {syncController: {nodeObjects: some}}\n", CloudcoreConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("modules.syncController.nodeObjects");
    }
}
