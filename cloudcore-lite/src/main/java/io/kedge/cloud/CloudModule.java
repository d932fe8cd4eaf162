package io.kedge.cloud;

/**
 * One part of cloudcore-lite (the standalone store and API, the endpoints controller; later CloudHub,
 * bootstrap, reliable sync). {@link Cloudcore} starts enabled modules in order and stops them in
 * reverse, so a module may use what an earlier one started.
 */
public interface CloudModule extends AutoCloseable {
    /** The module's key under {@code modules:} in the configuration. */
    String name();

    void start() throws Exception;

    /** Null when the module is ready, else why not (shown on {@code /readyz}). */
    default String problem() {
        return null;
    }

    /** What {@code /debug/status} shows about the module. */
    default Object status() {
        return "running";
    }

    @Override
    void close();
}
