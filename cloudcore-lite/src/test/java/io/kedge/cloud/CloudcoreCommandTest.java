package io.kedge.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.cloud.config.CloudcoreConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** How the serve flags land in the configuration. */
class CloudcoreCommandTest {
    static CloudcoreConfig parse(CloudcoreConfig file, String... args) {
        CloudcoreCommand command = new CloudcoreCommand();
        new CommandLine(command).parseArgs(args);
        return command.options.withFlags(file);
    }

    @Test
    void installCrdsTurnsOnTheInstallAndKeepsTheFilesClusterKeys() {
        CloudcoreConfig file = new CloudcoreConfig(null, null, new CloudcoreConfig.Modules(null, null, null, null,
                new CloudcoreConfig.Cluster(false, null, null, "objectSync", false, 5000, 60)));
        CloudcoreConfig.Cluster c = parse(file, "--master", "http://127.0.0.1:8080", "--install-crds").modules().cluster();
        assertThat(c.enable()).isTrue();
        assertThat(c.master()).isEqualTo("http://127.0.0.1:8080");
        assertThat(c.installCrds()).isTrue();
        assertThat(c.objectSyncMaxPending()).isEqualTo(5000);
        assertThat(c.objectSyncGcSeconds()).isEqualTo(60);
        assertThat(parse(file, "--master", "http://127.0.0.1:8080").modules().cluster().installCrds()).isFalse();
        assertThat(parse(CloudcoreConfig.defaults()).modules().cluster().enable()).isFalse();
    }
}
