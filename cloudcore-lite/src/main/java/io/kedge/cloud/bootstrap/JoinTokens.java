package io.kedge.cloud.bootstrap;

import io.kedge.cloud.pki.CertificateAuthority;
import io.kedge.common.kubeedge.JoinToken;
import io.kedge.common.kubeedge.MessageException;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Join tokens: a signing secret kept in the PKI directory ({@code token.secret}) and the current
 * token in {@code token}, which {@code cloudcore-lite gettoken} prints. A refresh loop issues a new
 * token every {@code refresh} (KubeEdge: 12 h of a 24 h validity). Unlike KubeEdge's loop it cannot
 * die on the first error: every failure is logged, counted and retried a minute later, and readiness
 * fails while the current token is close to expiring, so a stuck refresh is visible.
 */
public final class JoinTokens implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JoinTokens.class);
    static final String SECRET_FILE = "token.secret";
    static final String TOKEN_FILE = "token";

    private final Path dir;
    private final byte[] caDer;
    private final byte[] secret;
    private final Duration validity;
    private final Duration refresh;
    private final Clock clock;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "token-refresh");
        t.setDaemon(true);
        return t;
    });
    private final Counter refreshes;
    private volatile Instant expiry = Instant.EPOCH;
    private volatile String lastError;

    public JoinTokens(Path dir, byte[] caDer, Duration validity, Duration refresh, Clock clock, PrometheusRegistry metrics) {
        this.dir = dir;
        this.caDer = caDer;
        this.secret = loadOrCreateSecret(dir);
        this.validity = validity;
        this.refresh = refresh;
        this.clock = clock;
        refreshes = Counter.builder().name("kedge_join_token_refreshes_total").help("Join token refreshes, by result")
                .labelNames("result").register(metrics);
        GaugeWithCallback.builder().name("kedge_join_token_expiry_seconds").help("Seconds until the current join token expires")
                .callback(cb -> cb.call(Duration.between(clock.instant(), expiry).toSeconds())).register(metrics);
    }

    /** Makes sure a valid token exists now, then refreshes it periodically. */
    public void start() {
        refreshOnce();
        timer.scheduleWithFixedDelay(this::tick, 60, 60, TimeUnit.SECONDS);
    }

    private void tick() {
        try {
            if (lastError != null || !clock.instant().isBefore(expiry.minus(validity).plus(refresh))) {
                refreshOnce();
            }
        } catch (Throwable t) {
            // Never let the scheduled task die: a dead refresh loop is how KubeEdge's tokens silently expire.
            lastError = t.toString();
            log.error("join token refresh failed (retrying in a minute)", t);
        }
    }

    synchronized void refreshOnce() {
        try {
            Instant exp = clock.instant().plus(validity);
            JoinToken token = JoinToken.issue(caDer, secret, exp);
            CertificateAuthority.writeSecret(dir.resolve(TOKEN_FILE), token + "\n");
            expiry = exp;
            lastError = null;
            refreshes.labelValues("ok").inc();
        } catch (IOException | RuntimeException e) {
            lastError = e.toString();
            refreshes.labelValues("failed").inc();
            log.error("cannot refresh the join token: {}", e.toString());
        }
    }

    /** The token to hand to nodes. */
    public String current() {
        try {
            return Files.readString(dir.resolve(TOKEN_FILE)).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Checks a JWT (the part after the CA hash) presented by a node. */
    public void verify(String jwt) throws MessageException {
        new JoinToken(JoinToken.sha256Hex(caDer), jwt).verify(secret, clock.instant());
    }

    /** Null when healthy; otherwise why the token is in danger (shown on /readyz). */
    public String problem() {
        Duration left = Duration.between(clock.instant(), expiry);
        if (left.compareTo(Duration.ofHours(1)) < 0) {
            return "the join token expires in " + left.toMinutes() + " min" + (lastError == null ? "" : ": " + lastError);
        }
        return lastError == null ? null : "last token refresh failed: " + lastError;
    }

    /**
     * What {@code gettoken} prints: the current token if it is valid for at least another hour, else a
     * newly issued one (written back), so that the command works whether or not cloudcore-lite runs.
     */
    public static String currentOrIssue(Path dir, byte[] caDer, Duration validity) {
        byte[] secret = loadOrCreateSecret(dir);
        Path file = dir.resolve(TOKEN_FILE);
        try {
            if (Files.exists(file)) {
                String text = Files.readString(file).strip();
                try {
                    JoinToken t = JoinToken.parse(text);
                    Instant exp = t.verify(secret, Instant.now().plus(Duration.ofHours(1)));
                    if (t.matchesCa(caDer) && exp != null) {
                        return text;
                    }
                } catch (MessageException stale) {
                    // expired, foreign or damaged: issue a new one below
                }
            }
            String token = JoinToken.issue(caDer, secret, Instant.now().plus(validity)).toString();
            CertificateAuthority.writeSecret(file, token + "\n");
            return token;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static byte[] loadOrCreateSecret(Path dir) {
        Path file = dir.resolve(SECRET_FILE);
        try {
            Files.createDirectories(dir);
            if (Files.exists(file)) {
                byte[] s = java.util.HexFormat.of().parseHex(Files.readString(file).strip());
                if (s.length >= 32) {
                    return s;
                }
                throw new IllegalStateException(file + " holds fewer than 32 bytes of secret");
            }
            byte[] s = new byte[32];
            new SecureRandom().nextBytes(s);
            CertificateAuthority.writeSecret(file, java.util.HexFormat.of().formatHex(s) + "\n");
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(file + " is not hex: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
