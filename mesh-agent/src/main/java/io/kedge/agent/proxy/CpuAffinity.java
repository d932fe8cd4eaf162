package io.kedge.agent.proxy;

import io.kedge.common.config.ConfigException;
import java.util.Locale;

/**
 * Where the proxy's event loop threads may run ({@code modules.edgeProxy.cpuAffinity}).
 *
 * <p>{@link #SPREAD} gives each event loop a CPU of its own among those the agent may use, as
 * HAProxy's {@code cpu-map} or nginx's {@code worker_cpu_affinity auto} do. On a node whose CPUs are
 * saturated, the scheduler otherwise often stacks both loops of a two-CPU node on one CPU for a
 * whole run: each loop then waits behind the other, and the proxy's 99th percentile latency doubles
 * (bench/proxy, 2026-11-24). Pinned, a loop cannot move away from a CPU that a busy application
 * holds, which is why it is not the default.
 */
public enum CpuAffinity {
    /** The scheduler places the event loops (the default). */
    NONE,
    /** Event loop N runs only on the Nth CPU the process may use (wrapping around). */
    SPREAD;

    /** Parses a configuration value ({@code none} or {@code spread}, any case); errors name {@code key}. */
    public static CpuAffinity parse(String key, String value) {
        if (value != null) {
            for (CpuAffinity a : values()) {
                if (a.name().equalsIgnoreCase(value.strip())) {
                    return a;
                }
            }
        }
        throw new ConfigException(key, value, "must be none or spread");
    }

    /** The configuration spelling. */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }
}
