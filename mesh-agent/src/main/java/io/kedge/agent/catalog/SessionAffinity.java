package io.kedge.agent.catalog;

/**
 * Kubernetes {@code sessionAffinity}. With {@code clientIp}, connections from one client IP go to
 * the same endpoint for {@code timeoutSeconds} after the last one (Kubernetes default 10800 s).
 * It wins over any load-balancing policy.
 */
public record SessionAffinity(boolean clientIp, int timeoutSeconds) {
    public static final int DEFAULT_TIMEOUT_SECONDS = 10800;
    public static final SessionAffinity NONE = new SessionAffinity(false, 0);

    public static SessionAffinity clientIp(Integer timeoutSeconds) {
        return new SessionAffinity(true, timeoutSeconds == null || timeoutSeconds <= 0 ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds);
    }
}
