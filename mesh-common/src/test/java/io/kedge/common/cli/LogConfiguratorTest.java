package io.kedge.common.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogConfiguratorTest {
    @Test
    void stderrAtWarnWithLibrariesQuiet() {
        LoggerContext context = new LoggerContext();
        LogConfigurator configurator = new LogConfigurator();
        configurator.setContext(context);
        assertThat(configurator.configure(context)).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.WARN);
        ConsoleAppender<?> stderr = (ConsoleAppender<?>) root.getAppender("STDERR");
        assertThat(stderr.getTarget()).isEqualTo("System.err");
        assertThat(stderr.isStarted()).isTrue();
        // --log-level debug raises the root; the libraries stay at WARN.
        root.setLevel(Level.DEBUG);
        assertThat(context.getLogger("io.kedge.x").isDebugEnabled()).isTrue();
        assertThat(context.getLogger("org.eclipse.jetty.server.Server").isInfoEnabled()).isFalse();
        assertThat(context.getLogger("io.fabric8.kubernetes.client.Config").isInfoEnabled()).isFalse();
        assertThat(context.getLogger("org.ice4j.ice.Agent").isInfoEnabled()).isFalse();
        context.stop();
    }

    /** In a JVM of its own, through SLF4J as the programs start: the line format, and no XML configuration read. */
    @Test
    void aProgramLogsInTheProjectFormatWithoutLoadingJoran(@TempDir Path tmp) throws Exception {
        Path classes = tmp.resolve("classes.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:class+load=info:file=" + classes, "-cp", System.getProperty("java.class.path"), LogProbe.class.getName())
                .redirectErrorStream(true).start();
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
            assertThat(lines).anySatisfy(l -> assertThat(l).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  \\[main\\] i\\.k\\.common\\.cli\\.LogProbe - shown"));
            assertThat(lines).noneSatisfy(l -> assertThat(l).contains("hidden"));
            assertThat(Files.readString(classes)).contains("io.kedge.common.cli.LogConfigurator ")
                    .doesNotContain("ch.qos.logback.core.joran.GenericXMLConfigurator ").doesNotContain("javax.xml.parsers.SAXParserFactory ");
        } finally {
            p.destroyForcibly();
        }
    }
}
