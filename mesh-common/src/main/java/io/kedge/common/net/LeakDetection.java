package io.kedge.common.net;

import io.netty.util.ResourceLeakDetector;

/**
 * Netty's buffer leak detection for the long-running programs (mesh-agent, mesh-server). Netty's
 * default samples one buffer in 128 and records a stack trace for each sampled one: on the proxy's
 * and relay's paths that is CPU per byte and per request that production does not want. The tests
 * keep it on (their JVMs pass {@code -Dio.netty.leakDetection.level}); so can an operator.
 */
public final class LeakDetection {
    /** The system property Netty reads its level from. */
    public static final String PROPERTY = "io.netty.leakDetection.level";

    private LeakDetection() {
    }

    /** Turns leak detection off unless {@link #PROPERTY} asks for a level; returns the level in force. */
    public static ResourceLeakDetector.Level productionDefault() {
        if (System.getProperty(PROPERTY) == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        return ResourceLeakDetector.getLevel();
    }
}
