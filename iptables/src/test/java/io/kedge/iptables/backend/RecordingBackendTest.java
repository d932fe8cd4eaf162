package io.kedge.iptables.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kedge.iptables.IpFamily;
import io.kedge.iptables.IptablesException;
import io.kedge.iptables.save.SaveParser;
import org.junit.jupiter.api.Test;

/** The simulation must behave like iptables-restore where the library depends on it. */
class RecordingBackendTest {
    @Test
    void appliesWholeTransactionsOrNothing() {
        RecordingBackend backend = RecordingBackend.simulated(IpFamily.V4);
        backend.restore("*nat\n:KEDGE-A - [0:0]\n-A KEDGE-A -m comment --comment \"kedge: a b\" -j RETURN\n-I OUTPUT 1 -j KEDGE-A\nCOMMIT\n");
        String before = backend.save(null);
        assertThat(SaveParser.parse(before).table("nat").chain("KEDGE-A").rules()).singleElement()
                .satisfies(r -> assertThat(r.comment()).isEqualTo("kedge: a b"));

        assertThatThrownBy(() -> backend.restore("*nat\n:KEDGE-A - [0:0]\n-A KEDGE-A -j NOWHERE\nCOMMIT\n"))
                .isInstanceOfSatisfying(IptablesException.class, e -> {
                    assertThat(e.lineNumber()).isEqualTo(3);
                    assertThat(e.line()).isEqualTo("-A KEDGE-A -j NOWHERE");
                });
        assertThat(backend.save(null)).as("the flush on line 2 was not applied either").isEqualTo(before);
        assertThat(backend.restores()).hasSize(2);
    }

    @Test
    void refusesToDeleteChainsInUseOrNotEmpty() {
        RecordingBackend backend = RecordingBackend.simulated(IpFamily.V4);
        backend.simulate("*nat\n:KEDGE-A - [0:0]\n-A OUTPUT -j KEDGE-A\n-A KEDGE-A -j RETURN\nCOMMIT\n");
        assertThatThrownBy(() -> backend.simulate("*nat\n-X KEDGE-A\nCOMMIT\n")).hasMessageContaining("Directory not empty");
        assertThatThrownBy(() -> backend.simulate("*nat\n-F KEDGE-A\n-X KEDGE-A\nCOMMIT\n")).hasMessageContaining("Device or resource busy");
        backend.simulate("*nat\n-D OUTPUT -j KEDGE-A\n-F KEDGE-A\n-X KEDGE-A\nCOMMIT\n");
        assertThat(backend.save("nat")).doesNotContain("KEDGE-A");
        assertThat(backend.restores()).as("simulate() is not recorded").isEmpty();
        assertThatThrownBy(() -> backend.simulate("*nat\n-D OUTPUT -j KEDGE-A\nCOMMIT\n")).hasMessageContaining("does a matching rule exist");
        assertThatThrownBy(() -> backend.simulate("*nosuch\nCOMMIT\n")).hasMessageContaining("table name 'nosuch' invalid");
        assertThatThrownBy(() -> backend.simulate("*nat\n-A OUTPUT -j ACCEPT\n")).hasMessageContaining("no COMMIT");
    }

    @Test
    void cannedSaveServesFixedText() {
        RecordingBackend backend = RecordingBackend.canned(IpFamily.V6, "*nat\nCOMMIT\n");
        backend.restore("anything at all");
        assertThat(backend.save("filter")).isEqualTo("*nat\nCOMMIT\n");
        assertThat(backend.restores()).containsExactly("anything at all");
        assertThat(backend.saves()).containsExactly("filter");
        backend.clearRecords();
        assertThat(backend.restores()).isEmpty();
    }
}
