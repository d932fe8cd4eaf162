package io.kedge.cloud.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.cloud.pki.CertificateAuthority;
import io.kedge.common.kubeedge.JoinToken;
import io.kedge.common.kubeedge.MessageException;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JoinTokensTest {
    @TempDir
    Path dir;

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void tokensNameTheCaExpireAndAreRefreshed() throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("pki"), Duration.ofDays(30));
        MovableClock clock = new MovableClock();
        try (JoinTokens tokens = new JoinTokens(dir.resolve("pki"), ca.certificateDer(), Duration.ofHours(24), Duration.ofHours(12), clock,
                new PrometheusRegistry())) {
            tokens.refreshOnce();
            JoinToken first = JoinToken.parse(tokens.current());
            assertThat(first.matchesCa(ca.certificateDer())).isTrue();
            tokens.verify(first.jwt());
            assertThat(tokens.problem()).isNull();

            clock.now = clock.now.plus(Duration.ofHours(23).plusMinutes(30));
            assertThat(tokens.problem()).contains("expires in 30 min");
            clock.now = clock.now.plus(Duration.ofHours(1));
            assertThatThrownBy(() -> tokens.verify(first.jwt())).isInstanceOf(MessageException.class).hasMessageContaining("expired");

            tokens.refreshOnce();
            assertThat(tokens.current()).isNotEqualTo(first.toString());
            tokens.verify(JoinToken.parse(tokens.current()).jwt());
            assertThat(tokens.problem()).isNull();
        }
    }

    @Test
    void aFailingRefreshIsVisibleInsteadOfSilent() throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("pki"), Duration.ofDays(30));
        MovableClock clock = new MovableClock();
        try (JoinTokens tokens = new JoinTokens(dir.resolve("pki"), ca.certificateDer(), Duration.ofHours(24), Duration.ofHours(12), clock,
                new PrometheusRegistry())) {
            tokens.refreshOnce();
            // the token file's place is taken by a directory: writing fails
            Files.delete(dir.resolve("pki").resolve(JoinTokens.TOKEN_FILE));
            Files.createDirectories(dir.resolve("pki").resolve(JoinTokens.TOKEN_FILE).resolve("blocker"));
            tokens.refreshOnce();
            assertThat(tokens.problem()).startsWith("last token refresh failed");
        }
    }

    @Test
    void gettokenReusesAValidTokenAndReplacesAnExpiringOne() {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("pki"), Duration.ofDays(30));
        String a = JoinTokens.currentOrIssue(dir.resolve("pki"), ca.certificateDer(), Duration.ofHours(24));
        assertThat(JoinTokens.currentOrIssue(dir.resolve("pki"), ca.certificateDer(), Duration.ofHours(24))).isEqualTo(a);
        String shortLived = JoinTokens.currentOrIssue(dir.resolve("other"), ca.certificateDer(), Duration.ofMinutes(30));
        assertThat(JoinTokens.currentOrIssue(dir.resolve("other"), ca.certificateDer(), Duration.ofHours(24))).isNotEqualTo(shortLived);
    }
}
