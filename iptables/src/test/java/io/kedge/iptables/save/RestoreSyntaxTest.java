package io.kedge.iptables.save;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RestoreSyntaxTest {
    @Test
    void splitsWordsAndQuotedStretchesTheWayIptablesRestoreDoes() {
        assertThat(RestoreSyntax.split("-m comment --comment \"kedge: a \\\"b\\\" c:\\\\d\" -j  ACCEPT"))
                .containsExactly("-m", "comment", "--comment", "kedge: a \"b\" c:\\d", "-j", "ACCEPT");
        assertThat(RestoreSyntax.split("--comment \"\" -j X")).containsExactly("--comment", "", "-j", "X");
        assertThat(RestoreSyntax.split("a\\b \"x\"y")).as("backslash is literal outside quotes; quotes join").containsExactly("a\\b", "xy");
        assertThat(RestoreSyntax.split("  \t ")).isEmpty();
    }

    @Test
    void quotesOnlyWhatNeedsIt() {
        assertThat(RestoreSyntax.quote("169.254.96.16:40001")).isEqualTo("169.254.96.16:40001");
        assertThat(RestoreSyntax.quote("!")).isEqualTo("!");
        assertThat(RestoreSyntax.quote("[2001:db8::1]:80")).isEqualTo("[2001:db8::1]:80");
        assertThat(RestoreSyntax.quote("kedge: web #1")).isEqualTo("\"kedge: web #1\"");
        assertThat(RestoreSyntax.quote("")).isEqualTo("\"\"");
        assertThat(RestoreSyntax.quote("say \"hi\" \\o/")).isEqualTo("\"say \\\"hi\\\" \\\\o/\"");
    }

    @Test
    void joinAndSplitRoundTrip() {
        List<String> tokens = List.of("-m", "comment", "--comment", "kedge: \"q\" \\ 'single' #ab", "-s", "100.64.0.0/10", "", "x\ty");
        assertThat(RestoreSyntax.split(RestoreSyntax.join(tokens))).isEqualTo(tokens);
    }

    @Test
    void rejectsWhatWouldBreakOutOfTheLine() {
        assertThatThrownBy(() -> RestoreSyntax.quote("a\nCOMMIT")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a\\nCOMMIT");
        assertThatThrownBy(() -> RestoreSyntax.quote("a\rb")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RestoreSyntax.quote("a\0b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RestoreSyntax.split("--comment \"open")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unterminated quote");
    }
}
