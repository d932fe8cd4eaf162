package io.kedge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.common.cli.Cli;
import io.kedge.common.config.ConfigException;
import io.kedge.server.config.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MeshServerCommandTest {
    @Test
    void helpAndVersionExitZero() {
        assertThat(Cli.run(new MeshServerCommand(), "--help")).isZero();
        assertThat(Cli.run(new MeshServerCommand(), "--version")).isZero();
    }

    @Test
    void flagsOverrideTheFileAndBadValuesNameTheirKey() {
        MeshServerCommand cmd = new MeshServerCommand();
        new CommandLine(cmd).parseArgs("--listen", "203.0.113.11", "--port", "3500", "--allowed-peer", "198.51.100.0/24",
                "--user", "a:b", "--no-tls");
        ServerConfig c = cmd.withFlags(ServerConfig.defaults());
        assertThat(c.listen().address()).isEqualTo("203.0.113.11");
        assertThat(c.listen().port()).isEqualTo(3500);
        assertThat(c.listen().tls()).isFalse();
        assertThat(c.relay().allowedPeers()).containsExactly("198.51.100.0/24");
        assertThat(c.auth().users()).containsEntry("a", "b");

        MeshServerCommand bad = new MeshServerCommand();
        new CommandLine(bad).parseArgs("--listen", "nowhere");
        assertThatThrownBy(() -> bad.withFlags(ServerConfig.defaults())).isInstanceOf(ConfigException.class)
                .hasMessage("command line: listen.address: must be an IPv4 address (got \"nowhere\")");
        MeshServerCommand badRange = new MeshServerCommand();
        new CommandLine(badRange).parseArgs("--port-range", "9-8");
        assertThatThrownBy(() -> badRange.withFlags(ServerConfig.defaults())).hasMessageContaining("relay.portRange");
    }

    @Test
    void aConfigurationErrorExitsWithTheConfigCode() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(Cli.run(new MeshServerCommand(), "--allowed-peer", "not-a-network", "--user", "a:b")).isEqualTo(Cli.EXIT_CONFIG);
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("relay.allowedPeers[0]", "not-a-network");
    }
}
