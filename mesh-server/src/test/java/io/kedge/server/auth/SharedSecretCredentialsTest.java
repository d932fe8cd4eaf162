package io.kedge.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.server.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** coturn's use-auth-secret scheme: "expiry:agent" usernames, base64(HMAC-SHA1(secret, username)) passwords. */
class SharedSecretCredentialsTest {
    static final String SECRET = "north-secret-0123456789";
    final MutableClock clock = new MutableClock(Instant.ofEpochSecond(1_735_689_000L));

    @Test
    void passwordMatchesAnIndependentComputation() {
        // Computed with Python's hmac module: base64(hmac.new(secret, username, sha1).digest()).
        assertThat(SharedSecretCredentials.password(SECRET, "1735689600:agent-7")).isEqualTo("D1nrDleYm9AlSnAdrN839aN+1sM=");
    }

    @Test
    void issuedCredentialsCarryTheirExpiryAndAreAcceptedUntilThen() {
        SharedSecretCredentials creds = new SharedSecretCredentials(List.of(SECRET), clock);
        TurnCredentials issued = creds.issue("agent-7", Duration.ofSeconds(600));
        assertThat(issued.username()).isEqualTo("1735689600:agent-7");
        assertThat(issued.password()).isEqualTo("D1nrDleYm9AlSnAdrN839aN+1sM=");
        assertThat(issued.expiresAt()).isEqualTo(Instant.ofEpochSecond(1_735_689_600L));

        CredentialLookup now = creds.lookup(issued.username(), 1_735_689_599L);
        assertThat(now.status()).isEqualTo(CredentialLookup.Status.VALID);
        assertThat(now.principal()).isEqualTo("agent-7");
        assertThat(now.passwords()).containsExactly(issued.password());
        assertThat(creds.lookup(issued.username(), 1_735_689_600L).status()).isEqualTo(CredentialLookup.Status.EXPIRED);
        assertThat(issued.toString()).doesNotContain(issued.password());
    }

    @Test
    void rotationIssuesWithTheFirstSecretAndAcceptsAll() {
        SharedSecretCredentials old = new SharedSecretCredentials(List.of(SECRET), clock);
        SharedSecretCredentials rotated = new SharedSecretCredentials(List.of("south-secret-9876543210", SECRET), clock);
        TurnCredentials fromOld = old.issue("a", Duration.ofMinutes(5));
        assertThat(rotated.lookup(fromOld.username(), clock.instant().getEpochSecond()).passwords()).contains(fromOld.password());
        assertThat(rotated.issue("a", Duration.ofMinutes(5)).password()).isNotEqualTo(fromOld.password());
    }

    @Test
    void usernamesNotInTheSchemeAreUnknown() {
        SharedSecretCredentials creds = new SharedSecretCredentials(List.of(SECRET), clock);
        for (String name : List.of("agent-7", ":agent", "123:", "12a4:agent", "99999999999999999999:agent", "")) {
            assertThat(creds.lookup(name, 0).status()).as(name).isEqualTo(CredentialLookup.Status.UNKNOWN);
        }
        // The agent id may itself contain colons: only the first one separates.
        assertThat(creds.lookup("1735689600:node:a", 0).principal()).isEqualTo("node:a");
    }

    @Test
    void issuingChecksItsArguments() {
        SharedSecretCredentials creds = new SharedSecretCredentials(List.of(SECRET), clock);
        assertThatThrownBy(() -> creds.issue("", Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> creds.issue("a b", Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> creds.issue("a", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> creds.issue("a", Duration.ofDays(8))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SharedSecretCredentials(List.of(), clock)).isInstanceOf(IllegalArgumentException.class);
    }
}
