package io.kedge.iptables.save;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads iptables-save (and ip6tables-save) output, with or without counters ({@code -c}), from the
 * nf_tables and legacy variants. Anything that is not well-formed save output is reported with its
 * line number rather than guessed at.
 */
public final class SaveParser {
    private static final Pattern CHAIN = Pattern.compile(":(\\S+)\\s+(\\S+)(?:\\s+\\[(\\d+):(\\d+)\\])?\\s*");
    private static final Pattern COUNTERS = Pattern.compile("\\[(\\d+):(\\d+)\\]\\s+(.*)");

    private SaveParser() {
    }

    /** Parses a whole dump; throws {@link SaveFormatException} naming the offending line. */
    public static Ruleset parse(String text) {
        Map<String, InstalledTable> tables = new LinkedHashMap<>();
        String table = null;
        Map<String, String> policies = null;
        Map<String, List<InstalledRule>> rules = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int number = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("*")) {
                if (table != null) {
                    throw new SaveFormatException(number, line, "table " + table + " has no COMMIT before the next table");
                }
                table = line.substring(1).strip();
                if (table.isEmpty() || tables.containsKey(table)) {
                    throw new SaveFormatException(number, line, table.isEmpty() ? "empty table name" : "table " + table + " appears twice");
                }
                policies = new LinkedHashMap<>();
                rules = new LinkedHashMap<>();
            } else if (table == null) {
                throw new SaveFormatException(number, line, "content outside a table (no *table line before it)");
            } else if (line.equals("COMMIT")) {
                tables.put(table, buildTable(table, policies, rules));
                table = null;
            } else if (line.startsWith(":")) {
                Matcher m = CHAIN.matcher(line);
                if (!m.matches()) {
                    throw new SaveFormatException(number, line, "malformed chain line");
                }
                String policy = m.group(2);
                policies.put(m.group(1), policy.equals("-") ? null : policy);
                rules.put(m.group(1), new ArrayList<>());
            } else {
                InstalledRule rule = parseRule(number, line);
                List<InstalledRule> chainRules = rules.get(rule.chain());
                if (chainRules == null) {
                    throw new SaveFormatException(number, line, "rule for chain " + rule.chain() + ", which was not declared");
                }
                chainRules.add(rule);
            }
        }
        if (table != null) {
            throw new SaveFormatException(lines.length, "", "table " + table + " has no COMMIT");
        }
        return new Ruleset(tables);
    }

    private static InstalledRule parseRule(int number, String line) {
        long packets = 0;
        long bytes = 0;
        String rest = line;
        Matcher counters = COUNTERS.matcher(line);
        if (counters.matches()) {
            try {
                packets = Long.parseLong(counters.group(1));
                bytes = Long.parseLong(counters.group(2));
            } catch (NumberFormatException e) {
                throw new SaveFormatException(number, line, "counters out of range");
            }
            rest = counters.group(3);
        }
        List<String> tokens;
        try {
            tokens = RestoreSyntax.split(rest);
        } catch (IllegalArgumentException e) {
            throw new SaveFormatException(number, line, "unterminated quote");
        }
        if (tokens.size() < 2 || !tokens.get(0).equals("-A")) {
            throw new SaveFormatException(number, line, "expected -A CHAIN ...");
        }
        List<String> args = tokens.subList(2, tokens.size());
        return new InstalledRule(tokens.get(1), args, RuleArgs.comment(args), packets, bytes);
    }

    private static InstalledTable buildTable(String name, Map<String, String> policies, Map<String, List<InstalledRule>> rules) {
        Map<String, InstalledChain> chains = new LinkedHashMap<>();
        policies.forEach((chain, policy) -> chains.put(chain, new InstalledChain(chain, policy, rules.get(chain))));
        return new InstalledTable(name, chains);
    }

    /** The save output could not be understood. */
    public static final class SaveFormatException extends IllegalArgumentException {
        private final int line;

        SaveFormatException(int line, String text, String problem) {
            super("iptables-save output line " + line + ": " + problem + (text.isEmpty() ? "" : ": " + text));
            this.line = line;
        }

        public int line() {
            return line;
        }
    }
}
