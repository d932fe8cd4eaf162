package io.kedge.iptables.save;

import java.util.List;

/**
 * One rule as iptables-save printed it: its chain, its arguments after {@code -A CHAIN} (unquoted),
 * the text of its {@code --comment} if it has one, and its counters if the output had them.
 */
public record InstalledRule(String chain, List<String> args, String comment, long packets, long bytes) {
    public InstalledRule {
        args = List.copyOf(args);
    }

    /** The chain or target after the last {@code -j}/{@code -g}, or null. */
    public String target() {
        return RuleArgs.target(args);
    }

    /** The arguments as restore input (e.g. after {@code -D CHAIN} to delete exactly this rule). */
    public String spec() {
        return RestoreSyntax.join(args);
    }

    @Override
    public String toString() {
        return "-A " + chain + " " + spec();
    }
}
