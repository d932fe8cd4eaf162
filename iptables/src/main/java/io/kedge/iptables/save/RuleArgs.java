package io.kedge.iptables.save;

import java.util.List;

/** Reading options out of a rule's arguments. */
public final class RuleArgs {
    private RuleArgs() {
    }

    /** The chain or target after the last {@code -j}/{@code -g}, or null. */
    public static String target(List<String> args) {
        String target = null;
        for (int i = 0; i + 1 < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-j") || a.equals("--jump") || a.equals("-g") || a.equals("--goto")) {
                target = args.get(i + 1);
            }
        }
        return target;
    }

    /** The value of the first {@code --comment} option, or null. */
    public static String comment(List<String> args) {
        for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equals("--comment")) {
                return args.get(i + 1);
            }
        }
        return null;
    }
}
