package io.kedge.common.admin;

/** One readiness condition of a daemon; {@code null} detail means healthy. */
@FunctionalInterface
public interface HealthCheck {
    /** Returns null when healthy, otherwise a short reason shown on {@code /readyz}. */
    String problem();
}
