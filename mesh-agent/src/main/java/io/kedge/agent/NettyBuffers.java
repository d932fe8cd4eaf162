package io.kedge.agent;

/**
 * The agent's Netty buffer allocator: pooled, sized for a small process. Netty 4.2's default
 * (adaptive) allocator makes a new buffer object and a new NIO view of it for every socket read
 * and write; through the HTTP proxy that was about 450 of 1,100 bytes of garbage per request, and
 * garbage is what sets the proxy's p99 (young collections). The pooled allocator recycles both.
 * Its defaults (two arenas per core, 4 MiB chunks, large thread caches) would cost several MiB of
 * RSS; with one arena per core up to four, 1 MiB chunks and small caches, bench/agent-memory
 * measured +0.5 MiB under load.
 *
 * <p>Netty's JFR events are off: Netty registers them with the flight recorder when it allocates its
 * first pooled chunk, which initialises JFR in every process (its type library, and ASM rewriting
 * event classes, whose compilation took a 12 MB compiler arena: the agent's RSS peak at startup).
 * {@code -Dio.netty.jfr.enabled=true} brings them back for a recording.
 *
 * <p>Netty reads these properties once, when its buffer classes load: {@link #useAgentDefaults()}
 * must run first thing in {@code main}. A property set on the command line ({@code -Dio.netty...})
 * wins.
 */
public final class NettyBuffers {
    private NettyBuffers() {
    }

    public static void useAgentDefaults() {
        int arenas = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        setIfAbsent("io.netty.allocator.type", "pooled");
        setIfAbsent("io.netty.allocator.numDirectArenas", Integer.toString(arenas));
        setIfAbsent("io.netty.allocator.numHeapArenas", "1");
        // 8 KiB pages << 7 = 1 MiB chunks (Netty's default is 4 MiB); larger buffers are not pooled.
        setIfAbsent("io.netty.allocator.maxOrder", "7");
        // Per event loop thread: at most 16 cached buffers of 8-32 KiB (default 64).
        setIfAbsent("io.netty.allocator.normalCacheSize", "16");
        setIfAbsent("io.netty.jfr.enabled", "false");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
