package io.kedge.iptables;

import java.util.ArrayList;
import java.util.List;

/**
 * A desired rule in its chain, with its id and the ownership comment it is installed with. Built by
 * {@link DesiredState}; the planner compares ids and writes {@link #restoreArgs()}.
 */
public record PlacedRule(String chain, List<String> args, String description, String id, String comment) {
    public PlacedRule {
        args = List.copyOf(args);
    }

    /** The arguments as installed: the ownership comment first, then the rule's own arguments. */
    public List<String> restoreArgs() {
        List<String> all = new ArrayList<>(args.size() + 4);
        all.add("-m");
        all.add("comment");
        all.add("--comment");
        all.add(comment);
        all.addAll(args);
        return all;
    }

    /** The target after {@code -j}/{@code -g}, or null. */
    public String target() {
        return Rule.target(args);
    }
}
