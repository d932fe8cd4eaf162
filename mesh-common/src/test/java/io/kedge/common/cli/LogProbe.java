package io.kedge.common.cli;

/** Logs one line at WARN and one at INFO through SLF4J with the project's default configuration (for LogConfiguratorTest). */
public final class LogProbe {
    private LogProbe() {
    }

    public static void main(String[] args) {
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LogProbe.class);
        log.info("hidden");
        log.warn("shown");
    }
}
