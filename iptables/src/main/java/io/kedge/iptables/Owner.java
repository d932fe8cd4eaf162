package io.kedge.iptables;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who owns a set of rules: every chain of the owner starts with {@link #chainPrefix()} (e.g.
 * {@code KEDGE-}) and every rule it places carries a comment {@code "<tag>: <description> #<id>"}
 * (e.g. {@code "kedge: default/web:http #3fa9c1d2e4b5a6f7"}). The id is a hash of the rule's content,
 * so the library recognises its own rules, and whether they are the current ones, in any later run.
 */
public record Owner(String chainPrefix, String commentTag) {
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,15}");
    private static final Pattern TAG = Pattern.compile("[a-z0-9][a-z0-9_-]{0,15}");
    private static final Pattern ID = Pattern.compile("[0-9a-f]{" + RuleId.LENGTH + "}");

    /** The mesh's owner: chains {@code KEDGE-*}, comments {@code kedge: ...}. */
    public static final Owner KEDGE = of("KEDGE-");

    public Owner {
        if (chainPrefix == null || !PREFIX.matcher(chainPrefix).matches()) {
            throw new IllegalArgumentException("chain prefix must be 1-16 letters, digits, '-' or '_' (got \"" + chainPrefix + "\")");
        }
        if (commentTag == null || !TAG.matcher(commentTag).matches()) {
            throw new IllegalArgumentException("comment tag must be 1-16 lower-case letters, digits, '-' or '_' (got \"" + commentTag + "\")");
        }
    }

    /** The owner whose chains start with {@code chainPrefix}; its comment tag is the prefix in lower case without a trailing '-' or '_'. */
    public static Owner of(String chainPrefix) {
        String tag = chainPrefix == null ? null : chainPrefix.toLowerCase(java.util.Locale.ROOT).replaceAll("[-_]+$", "");
        return new Owner(chainPrefix, tag);
    }

    public boolean ownsChain(String chain) {
        return chain != null && chain.startsWith(chainPrefix) && chain.length() > chainPrefix.length();
    }

    /** Whether a rule comment marks the rule as this owner's (whatever its id). */
    public boolean ownsComment(String comment) {
        return comment != null && comment.startsWith(commentTag + ":");
    }

    /** The comment for a rule with this description and id. */
    public String comment(String description, String id) {
        return commentTag + ": " + (description.isEmpty() ? "" : description + " ") + "#" + id;
    }

    /** The id in one of this owner's comments; empty for other comments or a comment without a well-formed id. */
    public Optional<String> ruleId(String comment) {
        if (!ownsComment(comment)) {
            return Optional.empty();
        }
        int hash = comment.lastIndexOf('#');
        String id = hash < 0 ? "" : comment.substring(hash + 1);
        return ID.matcher(id).matches() ? Optional.of(id) : Optional.empty();
    }
}
