package io.kedge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NettyBuffersTest {
    private static final List<String> KEYS = List.of("io.netty.allocator.type", "io.netty.allocator.numDirectArenas",
            "io.netty.allocator.numHeapArenas", "io.netty.allocator.maxOrder", "io.netty.allocator.normalCacheSize",
            "io.netty.jfr.enabled");
    private final Map<String, String> saved = new HashMap<>();

    @BeforeEach
    void save() {
        for (String k : KEYS) {
            saved.put(k, System.getProperty(k));
            System.clearProperty(k);
        }
    }

    @AfterEach
    void restore() {
        saved.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
    }

    @Test
    void theAgentUsesAPooledAllocatorWithSmallChunksAndOneArenaPerCore() {
        NettyBuffers.useAgentDefaults();
        assertThat(System.getProperty("io.netty.allocator.type")).isEqualTo("pooled");
        assertThat(System.getProperty("io.netty.allocator.maxOrder")).isEqualTo("7");
        int arenas = Integer.parseInt(System.getProperty("io.netty.allocator.numDirectArenas"));
        assertThat(arenas).isBetween(1, 4).isLessThanOrEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors()));
    }

    @Test
    void nettysDefaultAllocatorBecomesPooledWithSmallChunksWhenSetFirstInMain() throws Exception {
        assertThat(probe()).matches("pooled directArenas=[1-4] heapArenas=1 chunkSize=1048576");
    }

    @Test
    void anAllocatorChosenOnTheCommandLineIsKept() throws Exception {
        assertThat(probe("-Dio.netty.allocator.type=unpooled")).startsWith("other ").contains("Unpooled");
    }

    @Test
    void nettysFlightRecorderEventsAreOffSoItsFirstChunkDoesNotStartJfr() throws Exception {
        String jfrSetup = "jdk.jfr.internal.MetadataRepository";
        assertThat(probeOutput("-Xlog:class+load=info")).contains("pooled ").doesNotContain(jfrSetup);
        assertThat(probeOutput("-Xlog:class+load=info", "-Dio.netty.jfr.enabled=true")).as("the probe can see JFR start")
                .contains(jfrSetup);
    }

    /** The last line NettyBuffersProbe prints in a JVM of its own (Netty reads the properties once per JVM). */
    private static String probe(String... jvmOptions) throws Exception {
        String out = probeOutput(jvmOptions);
        // Netty may log a line or two first; the probe's answer is the last line.
        return out.substring(out.lastIndexOf('\n') + 1);
    }

    /** All that NettyBuffersProbe prints in a JVM of its own. */
    private static String probeOutput(String... jvmOptions) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), NettyBuffersProbe.class.getName()));
        // To a file: the class-loading log is larger than a pipe holds.
        Path output = Files.createTempFile("netty-buffers-probe", ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the probe JVM ended").isTrue();
            String out = Files.readString(output, StandardCharsets.UTF_8).strip();
            assertThat(p.exitValue()).as(out).isZero();
            return out;
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(output);
        }
    }

    @Test
    void whatTheCommandLineSetsWins() {
        System.setProperty("io.netty.allocator.type", "adaptive");
        System.setProperty("io.netty.allocator.maxOrder", "9");
        NettyBuffers.useAgentDefaults();
        assertThat(System.getProperty("io.netty.allocator.type")).isEqualTo("adaptive");
        assertThat(System.getProperty("io.netty.allocator.maxOrder")).isEqualTo("9");
        assertThat(System.getProperty("io.netty.allocator.normalCacheSize")).isEqualTo("16");
    }
}
