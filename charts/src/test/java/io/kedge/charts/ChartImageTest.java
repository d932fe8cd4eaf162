package io.kedge.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The chart's commands against the image recipe: every program it runs exists there and starts a real main class. */
class ChartImageTest {
    private static final Path IMAGE = Path.of("image");
    private static final Pattern PROGRAM = Pattern.compile("(?m)^\\s*([a-z-]+)\\) module=(\\S+) main=(\\S+) ;;");

    record Program(String module, String main) {
    }

    private static Map<String, Program> launcherPrograms() throws IOException {
        Matcher m = PROGRAM.matcher(Files.readString(IMAGE.resolve("kedge-launcher.sh")));
        Map<String, Program> programs = new LinkedHashMap<>();
        while (m.find()) {
            programs.put(m.group(1), new Program(m.group(2), m.group(3)));
        }
        return programs;
    }

    @Test
    void everyProgramTheLauncherKnowsIsLinkedCopiedAndHasItsMainClass() throws IOException, ReflectiveOperationException {
        Map<String, Program> programs = launcherPrograms();
        assertThat(programs).containsKeys("mesh-agent", "meshctl", "mesh-server", "cloudcore-lite");
        String containerfile = Files.readString(IMAGE.resolve("Containerfile"));
        for (Map.Entry<String, Program> p : programs.entrySet()) {
            assertThat(containerfile).contains(" " + p.getKey() + " ").as("linked in /usr/local/bin");
            String module = p.getValue().module();
            assertThat(containerfile).contains("COPY " + module + "/target/" + module + ".jar /opt/kedge/" + module + "/")
                    .contains("COPY " + module + "/target/lib/ /opt/kedge/" + module + "/lib/");
            Class<?> main = Class.forName(p.getValue().main());
            assertThat(main.getMethod("main", String[].class)).isNotNull();
        }
    }

    private static List<String> concat(java.util.Collection<String> names, String more) {
        List<String> all = new ArrayList<>(names);
        all.add(more);
        return all;
    }

    @Test
    void theAgentsLauncherSourcesTheClassDataArchiveScriptTheImageCopies() throws IOException {
        String launcher = Files.readString(IMAGE.resolve("kedge-launcher.sh"));
        Matcher sourced = Pattern.compile("(?m)^\\s*\\. (/opt/kedge/bin/\\S+)$").matcher(launcher);
        assertThat(sourced.find()).as("the launcher sources a script").isTrue();
        assertThat(Files.readString(IMAGE.resolve("Containerfile"))).contains("COPY bin/lib/cds.sh " + sourced.group(1));
        assertThat(Path.of("..", "bin", "lib", "cds.sh")).isRegularFile();
        assertThat(launcher).contains("kedge_cds_java mesh-agent");
    }

    /** The image's JVM (17, as here) starts with these options: a misspelt -XX option stops it. */
    private static void assertJvmAccepts(String container, String opts) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(opts.trim().split("\\s+")));
        command.add("-version");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (var in = p.getInputStream()) {
            output = new String(in.readNBytes(64 * 1024), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("java -version with %s's options ended", container).isTrue();
        assertThat(p.exitValue()).as("%s: java %s -version said:%n%s", container, opts, output).isZero();
    }

    @Test
    void everyContainerTheChartRunsStartsAProgramOfTheImageWithItsJavaOptions() throws IOException, InterruptedException {
        Map<String, Program> programs = launcherPrograms();
        RenderedChart chart = RenderedChart.render("cloudcore.enabled", true, "cloudcore.advertiseAddress", List.of("203.0.113.10"),
                "cloudcore.ca.existingSecret", "kedge-ca");
        List<PodSpec> pods = new ArrayList<>();
        chart.all(DaemonSet.class).forEach(d -> pods.add(d.getSpec().getTemplate().getSpec()));
        chart.all(Deployment.class).forEach(d -> pods.add(d.getSpec().getTemplate().getSpec()));
        assertThat(pods).hasSize(4);
        for (PodSpec pod : pods) {
            for (Container c : pod.getContainers()) {
                assertThat(programs).as(c.getName()).containsKey(c.getCommand().get(0));
                assertThat(c.getEnv()).as(c.getName()).anySatisfy(e -> {
                    assertThat(e.getName()).isEqualTo("KEDGE_JAVA_OPTS");
                    assertThat(e.getValue()).contains("-Xmx");
                });
                assertThat(c.getImage()).isEqualTo("kedge:0.1.0");
            }
            for (Container c : pod.getContainers()) {
                String opts = c.getEnv().stream().filter(e -> e.getName().equals("KEDGE_JAVA_OPTS")).findFirst().orElseThrow().getValue();
                assertJvmAccepts(c.getName(), opts);
            }
            for (Container c : pod.getInitContainers()) {
                assertThat(c.getCommand().get(0)).as("init container %s runs the image's shell or one of its programs", c.getName())
                        .isIn(concat(programs.keySet(), "sh"));
            }
        }
    }
}
