package io.kedge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NettyBuffersTest {
    private static final List<String> KEYS = List.of("io.netty.allocator.type", "io.netty.allocator.numDirectArenas",
            "io.netty.allocator.numHeapArenas", "io.netty.allocator.maxOrder", "io.netty.allocator.normalCacheSize");
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
    void whatTheCommandLineSetsWins() {
        System.setProperty("io.netty.allocator.type", "adaptive");
        System.setProperty("io.netty.allocator.maxOrder", "9");
        NettyBuffers.useAgentDefaults();
        assertThat(System.getProperty("io.netty.allocator.type")).isEqualTo("adaptive");
        assertThat(System.getProperty("io.netty.allocator.maxOrder")).isEqualTo("9");
        assertThat(System.getProperty("io.netty.allocator.normalCacheSize")).isEqualTo("16");
    }
}
