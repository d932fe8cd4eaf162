package io.kedge.iptables;

import io.kedge.iptables.save.RestoreSyntax;
import io.kedge.iptables.save.RuleArgs;
import java.util.List;
import java.util.Set;

/**
 * One rule of an owned chain: its iptables arguments without the chain (e.g. {@code -d 198.18.0.10/32
 * -p tcp --dport 80 -j DNAT --to-destination 169.254.96.16:40001}) and a short description that goes
 * into the rule's comment for people reading iptables-save. The library adds the comment itself.
 */
public record Rule(List<String> args, String description) {
    /** Longest description kept: the whole comment must stay under the kernel's 256 bytes. */
    static final int MAX_DESCRIPTION = 200;

    /** Options that would turn a rule into another command or hide our ownership comment. */
    private static final Set<String> FORBIDDEN = Set.of(
            "-A", "--append", "-I", "--insert", "-D", "--delete", "-R", "--replace", "-C", "--check",
            "-N", "--new-chain", "-X", "--delete-chain", "-F", "--flush", "-P", "--policy", "-E", "--rename-chain",
            "-Z", "--zero", "-L", "--list", "-S", "--list-rules", "-t", "--table", "--comment");

    public Rule {
        if (args == null || args.isEmpty()) {
            throw new IllegalArgumentException("a rule needs arguments");
        }
        args = List.copyOf(args);
        checkArgs(args);
        description = cleanDescription(description);
    }

    /** A rule from its arguments, e.g. {@code Rule.of("default/web:http", "-d", "198.18.0.10/32", ...)}. */
    public static Rule of(String description, String... args) {
        return new Rule(List.of(args), description);
    }

    /** A rule from its arguments written as one line, with iptables-restore quoting. */
    public static Rule parse(String description, String spec) {
        return new Rule(RestoreSyntax.split(spec), description);
    }

    /** The arguments as one line of restore input. */
    public String spec() {
        return RestoreSyntax.join(args);
    }

    /** The chain or target after the last {@code -j}/{@code -g}, or null. */
    public String target() {
        return target(args);
    }

    static String target(List<String> args) {
        return RuleArgs.target(args);
    }

    static void checkArgs(List<String> args) {
        for (String arg : args) {
            RestoreSyntax.checkToken(arg);
            if (FORBIDDEN.contains(arg)) {
                throw new IllegalArgumentException("rule argument " + arg + " is not allowed: the library chooses the chain, "
                        + "the position and the comment (" + RestoreSyntax.join(args) + ")");
            }
        }
    }

    /** Printable ASCII only (anything else becomes '?'), at most {@value #MAX_DESCRIPTION} characters. */
    static String cleanDescription(String description) {
        if (description == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(description.length(), MAX_DESCRIPTION));
        for (int i = 0; i < description.length() && sb.length() < MAX_DESCRIPTION; i++) {
            char c = description.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return sb.toString().strip();
    }

    @Override
    public String toString() {
        return spec() + (description.isEmpty() ? "" : "  (" + description + ")");
    }
}
