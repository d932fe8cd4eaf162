package io.kedge.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class YamlConfigTest {
    enum Mode { fast, safe }

    record Port(String name, int port) {
        Port {
            ConfigException.require(port > 0 && port < 65536, "port", port, "must be between 1 and 65535");
        }
    }

    record Server(String host, Mode mode, List<Port> ports) {
    }

    @Test
    void readsAValidDocument() {
        Server s = YamlConfig.parse("host: relay\nmode: safe\nports:\n  - {name: stun, port: 3478}\n", Server.class);
        assertThat(s).isEqualTo(new Server("relay", Mode.safe, List.of(new Port("stun", 3478))));
    }

    @Test
    void recordValidationNamesTheFullKeyPathAndValue() {
        assertThatThrownBy(() -> YamlConfig.parse("host: x\nports:\n  - {name: a, port: 1}\n  - {name: b, port: 70000}\n", Server.class))
                .isInstanceOf(ConfigException.class)
                .hasMessage("ports[1].port: must be between 1 and 65535 (got \"70000\")");
    }

    @Test
    void unknownKeyIsNamed() {
        assertThatThrownBy(() -> YamlConfig.parse("host: x\nports:\n  - {name: a, prot: 1}\n", Server.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("ports[0].prot: unknown key")
                .hasMessageContaining("known keys here: name, port");
    }

    @Test
    void badEnumValueListsTheChoices() {
        assertThatThrownBy(() -> YamlConfig.parse("mode: quick\n", Server.class))
                .isInstanceOf(ConfigException.class)
                .hasMessage("mode: expected one of fast, safe (got \"quick\")");
    }

    @Test
    void wrongTypeIsNamed() {
        assertThatThrownBy(() -> YamlConfig.parse("ports:\n  - {name: a, port: many}\n", Server.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("ports[0].port: expected");
    }

    @Test
    void syntaxErrorGivesALocation() {
        assertThatThrownBy(() -> YamlConfig.parse("host: x\n- y\n", Server.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line")
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void emptyAndMissingFilesAreClearErrors(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.yaml"), "   \n");
        assertThatThrownBy(() -> YamlConfig.load(empty, Server.class)).hasMessageContaining("document is empty");
        assertThatThrownBy(() -> YamlConfig.load(dir.resolve("nope.yaml"), Server.class)).hasMessageContaining("file does not exist");
    }

    @Test
    void oversizedDocumentIsRefusedBeforeParsing() {
        String huge = "host: " + "x".repeat((int) YamlConfig.MAX_DOCUMENT_BYTES + 1);
        assertThatThrownBy(() -> YamlConfig.parse(huge, Server.class)).hasMessageContaining("larger than");
    }
}
