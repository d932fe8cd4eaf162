package io.kedge.agent.lb;

import static io.kedge.common.config.ConfigException.require;

/**
 * Shape of the consistent-hash ring, with EdgeMesh's defaults: keys hash into {@code partitionCount}
 * partitions, each backend stands on the ring {@code replicationFactor} times, and no backend owns
 * more than {@code load} times its fair share of partitions (bounded loads).
 */
public record RingParameters(int partitionCount, int replicationFactor, double load) {
    public static final RingParameters EDGEMESH_DEFAULTS = new RingParameters(100, 10, 1.25);

    public RingParameters {
        require(partitionCount > 0 && partitionCount <= 100000, "partitionCount", partitionCount, "must be between 1 and 100000");
        require(replicationFactor > 0 && replicationFactor <= 1000, "replicationFactor", replicationFactor,
                "must be between 1 and 1000");
        require(load >= 1.0 && load <= 100.0, "load", load, "must be between 1.0 and 100.0");
    }
}
