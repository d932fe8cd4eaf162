package io.kedge.edge;

import io.kedge.edge.config.EdgecoreConfig;
import io.kedge.edge.hub.EdgeHub;
import io.kedge.edge.join.CertificateRenewer;
import io.kedge.edge.join.EdgeCredentials;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the node certificate valid: from {@link CertificateRenewer#RENEW_AT} of its lifetime on, asks
 * the bootstrap endpoint (the CloudHub host, port 10002) for a new one every ten minutes until it gets
 * it, saves it, and hands it to the EdgeHub. Readiness fails during the last day of validity.
 */
final class CertificateRenewal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CertificateRenewal.class);

    private final EdgecoreConfig config;
    private final EdgeHub hub;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cert-renewal");
        t.setDaemon(true);
        return t;
    });
    private final Counter renewals;
    private volatile EdgeCredentials current;
    private volatile String lastError;

    CertificateRenewal(EdgecoreConfig config, EdgeCredentials credentials, EdgeHub hub, PrometheusRegistry metrics) {
        this.config = config;
        this.current = credentials;
        this.hub = hub;
        renewals = Counter.builder().name("kedge_edge_certificate_renewals_total").help("Node certificate renewals, by result")
                .labelNames("result").register(metrics);
        GaugeWithCallback.builder().name("kedge_edge_certificate_expiry_seconds").help("Seconds until the node certificate expires")
                .callback(cb -> cb.call(Duration.between(Instant.now(), current.certificate().getNotAfter().toInstant()).toSeconds()))
                .register(metrics);
    }

    void start() {
        timer.scheduleWithFixedDelay(this::check, 0, 10, TimeUnit.MINUTES);
    }

    private void check() {
        try {
            if (Instant.now().isBefore(CertificateRenewer.dueAt(current.certificate()))) {
                return;
            }
            String bootstrap = config.cloudHub().host() + ":10002";
            EdgeCredentials renewed = new CertificateRenewer(Duration.ofSeconds(20)).renew(bootstrap, current, config.nodeName());
            renewed.save(config.certDir());
            hub.useCredentials(renewed);
            current = renewed;
            lastError = null;
            renewals.labelValues("ok").inc();
            log.info("node certificate renewed, valid until {}", renewed.certificate().getNotAfter().toInstant());
        } catch (Exception e) {
            // Never let the task die: retried in ten minutes, counted, and visible on /readyz near expiry.
            lastError = e.getMessage();
            renewals.labelValues("failed").inc();
            log.warn("cannot renew the node certificate (retrying in 10 min): {}", e.getMessage());
        }
    }

    /** Null while the certificate has more than a day left. */
    String problem() {
        Duration left = Duration.between(Instant.now(), current.certificate().getNotAfter().toInstant());
        if (left.compareTo(Duration.ofDays(1)) < 0) {
            return "the node certificate expires in " + left.toMinutes() + " min" + (lastError == null ? "" : ": " + lastError);
        }
        return null;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
