package io.kedge.iptables;

import io.kedge.iptables.save.RestoreSyntax;
import java.util.ArrayList;
import java.util.List;

/**
 * A rule in a built-in chain ({@code from}, e.g. PREROUTING) that sends packets to one of the
 * owner's chains ({@code to}), optionally only those matching {@code matchArgs}. Jumps always sit at
 * the top of their built-in chain, in the order they were added to the desired state, so that rules
 * inserted later by other tools (kube-proxy's {@code KUBE-SERVICES}) come after ours.
 */
public record Jump(String from, String to, List<String> matchArgs, String description) {
    public Jump {
        if (from == null || from.isBlank() || to == null || to.isBlank()) {
            throw new IllegalArgumentException("a jump needs a source chain and a target chain");
        }
        matchArgs = matchArgs == null ? List.of() : List.copyOf(matchArgs);
        Rule.checkArgs(matchArgs);
        if (Rule.target(matchArgs) != null) {
            throw new IllegalArgumentException("the match arguments of a jump must not have their own -j/-g: " + RestoreSyntax.join(matchArgs));
        }
        description = Rule.cleanDescription(description);
    }

    /** An unconditional jump from {@code from} to {@code to}. */
    public static Jump of(String from, String to, String description) {
        return new Jump(from, to, List.of(), description);
    }

    /** The rule's arguments: the matches, then {@code -j to}. */
    public List<String> args() {
        List<String> args = new ArrayList<>(matchArgs);
        args.add("-j");
        args.add(to);
        return List.copyOf(args);
    }

    @Override
    public String toString() {
        return from + " -> " + RestoreSyntax.join(args());
    }
}
