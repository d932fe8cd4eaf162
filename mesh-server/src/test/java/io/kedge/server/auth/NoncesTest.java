package io.kedge.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NoncesTest {
    final Nonces nonces = new Nonces(Duration.ofSeconds(600));

    @Test
    void validForItsClientUntilItExpires() throws Exception {
        InetAddress client = InetAddress.getByName("192.0.2.1");
        String n = nonces.issue(client, 1000);
        assertThat(nonces.valid(n, client, 1000)).isTrue();
        assertThat(nonces.valid(n, client, 1599)).isTrue();
        assertThat(nonces.valid(n, client, 1600)).isFalse();
        assertThat(nonces.valid(n, InetAddress.getByName("192.0.2.2"), 1000)).isFalse();
    }

    @Test
    void forgedOrMangledNoncesAreInvalid() throws Exception {
        InetAddress client = InetAddress.getByName("192.0.2.1");
        String n = nonces.issue(client, 1000);
        String later = Long.toHexString(5000) + n.substring(n.indexOf('-'));
        assertThat(nonces.valid(later, client, 1000)).as("expiry changed").isFalse();
        assertThat(nonces.valid(new Nonces(Duration.ofSeconds(600)).issue(client, 1000), client, 1000)).as("another key").isFalse();
        for (String bad : new String[] {"", "-", "x-y", n + "0", n.substring(1), "zz" + n.substring(2), "ffffffffffffffffff-00"}) {
            assertThat(nonces.valid(bad, client, 1000)).as(bad).isFalse();
        }
    }
}
