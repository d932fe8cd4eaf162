package io.kedge.agent.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * bin/lib/cds.sh, the launchers' class data archives, with a real JVM: sourced by bash with
 * {@code set -euo pipefail} (as bin/mesh-agent does) and by sh (as the image's launcher does), it
 * runs {@link ClassDataArchiveProbe} from a jar of its own (class data sharing refuses directories
 * on the classpath). That a later run maps the archive is read from the JVM's own class-loading log:
 * the probe class then comes from "shared objects file (top)", the archive on top of the JDK's.
 */
class ClassDataArchiveLauncherTest {
    private static final Path CDS_SCRIPT = Path.of("..", "bin", "lib", "cds.sh").toAbsolutePath().normalize();
    private static final String FROM_ARCHIVE = ClassDataArchiveProbe.class.getName() + " source: shared objects file (top)";

    @TempDir
    Path dir;
    private Path jar;
    private Path archives;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void probeJar() throws IOException {
        jar = dir.resolve("probe.jar");
        archives = dir.resolve("cds");
        String entry = ClassDataArchiveProbe.class.getName().replace('.', '/') + ".class";
        try (var in = ClassDataArchiveProbe.class.getClassLoader().getResourceAsStream(entry);
             JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
    }

    @AfterEach
    void stop() {
        started.forEach(Process::destroyForcibly);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bash", "sh"})
    void aRunLongEnoughLearnsTheArchiveAndTheNextRunMapsIt(String shell) throws Exception {
        Run first = run(shell, Map.of("KEDGE_CDS_MIN_LEARN_SECONDS", "0"), "exit", "0");
        assertThat(first.status).as(first.output).isZero();
        assertThat(first.output).contains("probe ran", "class data archive learnt: " + archives);
        assertThat(archiveFiles()).hasSize(1).allMatch(p -> p.getFileName().toString().matches("probe-\\d+\\.jsa"));

        Run second = run(shell, Map.of("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info"), "exit", "0");
        assertThat(second.status).as(second.output).isZero();
        assertThat(second.output).contains("probe ran", FROM_ARCHIVE).doesNotContain("class data archive");
    }

    @Test
    void aShortRunTeachesNothingAndItsExitStatusIsPassedOn() throws Exception {
        Run run = run("bash", Map.of(), "exit", "3");
        assertThat(run.status).isEqualTo(3);
        assertThat(run.output).contains("probe ran").doesNotContain("class data archive");
        assertThat(archiveFiles()).isEmpty();
        try (Stream<Path> left = Files.list(archives)) {
            assertThat(left).as("nothing left behind").isEmpty();
        }

        Run next = run("bash", Map.of("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info"), "exit", "0");
        assertThat(next.output).doesNotContain(FROM_ARCHIVE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bash", "sh"})
    void aSignalReachesTheProgramWhichStillLeavesItsArchive(String shell) throws Exception {
        Path log = dir.resolve("out.log");
        Process p = start(shell, Map.of("KEDGE_CDS_MIN_LEARN_SECONDS", "0"), log, "wait");
        await().atMost(Duration.ofSeconds(30)).until(() -> read(log).contains("ready"));
        p.destroy(); // SIGTERM to the shell, which runs the JVM in the background
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(read(log)).isTrue();
        assertThat(p.exitValue()).as(read(log)).isEqualTo(143);
        assertThat(read(log)).contains("class data archive learnt");
        assertThat(archiveFiles()).hasSize(1);
    }

    @Test
    void aKilledJvmLeavesNoArchiveAndTheNextRunLearnsAgain() throws Exception {
        Path log = dir.resolve("killed.log");
        Process p = start("bash", Map.of("KEDGE_CDS_MIN_LEARN_SECONDS", "0"), log, "wait");
        await().atMost(Duration.ofSeconds(30)).until(() -> read(log).contains("ready"));
        ProcessHandle jvm = p.toHandle().descendants().filter(h -> h.info().command().orElse("").endsWith("/java")).findFirst()
                .orElseThrow();
        jvm.destroyForcibly(); // SIGKILL: the JVM writes nothing
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(137);
        assertThat(read(log)).contains("none written (the JVM was killed)");
        assertThat(archiveFiles()).isEmpty();
        try (Stream<Path> left = Files.list(archives)) {
            assertThat(left).as("no temporary file, no mark that this JDK cannot learn").isEmpty();
        }

        Run next = run("bash", Map.of("KEDGE_CDS_MIN_LEARN_SECONDS", "0"), "exit", "0");
        assertThat(next.output).contains("class data archive learnt");
    }

    @Test
    void trainModeLearnsForItsSecondsThenExitsAndLaterHasNothingToDo() throws Exception {
        Map<String, String> train = Map.of("KEDGE_CDS", "train", "KEDGE_CDS_TRAIN_SECONDS", "2",
                "KEDGE_CDS_MIN_LEARN_SECONDS", "1");
        Run first = run("sh", train, "wait");
        assertThat(first.status).as(first.output).isZero();
        assertThat(first.output).contains("ready", "class data archive learnt");
        assertThat(archiveFiles()).hasSize(1);

        Run again = run("sh", train, "wait");
        assertThat(again.status).isZero();
        assertThat(again.output).contains("class data archive present").doesNotContain("ready");
    }

    @Test
    void anotherBuildOfTheClasspathLearnsAnArchiveOfItsOwn() throws Exception {
        run("bash", Map.of("KEDGE_CDS_MIN_LEARN_SECONDS", "0"), "exit", "0");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(5)));
        Run rebuilt = run("bash", Map.of("KEDGE_CDS_MIN_LEARN_SECONDS", "0", "JAVA_TOOL_OPTIONS", "-Xlog:class+load=info"),
                "exit", "0");
        assertThat(rebuilt.output).doesNotContain(FROM_ARCHIVE).contains("class data archive learnt");
        assertThat(archiveFiles()).hasSize(2);
    }

    @Test
    void offRunsWithoutAnArchiveAndABadSettingIsNamed() throws Exception {
        Run off = run("bash", Map.of("KEDGE_CDS", "off", "KEDGE_CDS_MIN_LEARN_SECONDS", "0"), "exit", "0");
        assertThat(off.status).isZero();
        assertThat(off.output).contains("probe ran").doesNotContain("class data archive");
        assertThat(archives).doesNotExist();

        Run bad = run("bash", Map.of("KEDGE_CDS", "sometimes"), "exit", "0");
        assertThat(bad.status).isEqualTo(64);
        assertThat(bad.output).contains("KEDGE_CDS='sometimes'").doesNotContain("probe ran");

        Run badSeconds = run("sh", Map.of("KEDGE_CDS_TRAIN_SECONDS", "soon"), "exit", "0");
        assertThat(badSeconds.status).isEqualTo(64);
        assertThat(badSeconds.output).contains("KEDGE_CDS_TRAIN_SECONDS='soon'");
    }

    @Test
    void anUnusableDirectoryRunsTheProgramWithoutAnArchive() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Run run = run("bash", Map.of("KEDGE_CDS_DIR", file.resolve("cds").toString(), "KEDGE_CDS_MIN_LEARN_SECONDS", "0"),
                "exit", "0");
        assertThat(run.status).isZero();
        assertThat(run.output).contains("KEDGE_CDS_DIR=" + file.resolve("cds") + " is not writable", "probe ran");
    }

    private record Run(int status, String output) {
    }

    private Run run(String shell, Map<String, String> env, String... args) throws Exception {
        Path log = Files.createTempFile(dir, "run", ".log");
        Process p = start(shell, env, log, args);
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the launcher ended: " + read(log)).isTrue();
        return new Run(p.exitValue(), read(log));
    }

    private Process start(String shell, Map<String, String> env, Path log, String... args) throws IOException {
        // bash as bin/mesh-agent runs it; sh (dash on Debian) as the image's launcher does.
        String prelude = shell.equals("bash") ? "set -euo pipefail; " : "set -eu; ";
        String script = prelude + ". \"$1\"; shift; kedge_cds_java probe \"$@\"";
        List<String> command = new ArrayList<>(List.of(shell, "-c", script, shell, CDS_SCRIPT.toString(),
                jar.toString(), ClassDataArchiveProbe.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> environment = new HashMap<>(env);
        environment.putIfAbsent("KEDGE_CDS_DIR", archives.toString());
        environment.putIfAbsent("KEDGE_JAVA_OPTS", "-Xshare:auto -XX:TieredStopAtLevel=1");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("KEDGE_CDS");
        pb.environment().putAll(environment);
        // The java on PATH is the one the launchers use; make it this JVM's.
        pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + pb.environment().getOrDefault("PATH", "/usr/bin:/bin"));
        Process p = pb.start();
        started.add(p);
        return p;
    }

    private List<Path> archiveFiles() throws IOException {
        if (!Files.isDirectory(archives)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(archives)) {
            return files.filter(f -> f.toString().endsWith(".jsa")).toList();
        }
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }
}
