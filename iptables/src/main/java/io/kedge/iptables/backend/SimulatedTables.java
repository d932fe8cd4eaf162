package io.kedge.iptables.backend;

import io.kedge.iptables.IptablesException;
import io.kedge.iptables.Tables;
import io.kedge.iptables.save.RestoreSyntax;
import io.kedge.iptables.save.RuleArgs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An in-memory stand-in for one family's kernel rules that understands the iptables-restore
 * commands the library and tests use ({@code *table}, {@code :CHAIN}, {@code -N -A -I -D -F -X -P},
 * {@code COMMIT}) with the same all-or-nothing semantics, and prints iptables-save output. Rules are
 * kept as written; unlike the kernel it does not normalise them, which the library must not rely on.
 */
final class SimulatedTables {
    /** Targets that are not chains: a {@code -j} to anything else must name an existing chain. */
    private static final Set<String> TARGETS = Set.of("ACCEPT", "DROP", "RETURN", "REJECT", "DNAT", "SNAT", "MASQUERADE",
            "REDIRECT", "MARK", "CONNMARK", "LOG", "NOTRACK", "CT", "TPROXY", "QUEUE", "NFQUEUE", "TCPMSS", "NFLOG");

    /** table -> chain -> chain; user chains have a null policy. */
    private Map<String, Map<String, SimChain>> tables = new LinkedHashMap<>();

    private static final class SimChain {
        String policy;
        final List<List<String>> rules = new ArrayList<>();

        SimChain(String policy) {
            this.policy = policy;
        }

        SimChain copy() {
            SimChain c = new SimChain(policy);
            c.rules.addAll(rules);
            return c;
        }
    }

    /** Applies {@code input} as {@code tool} would, all or nothing; rejections name the line like the real tools. */
    synchronized void restore(String tool, String input, boolean noflush) {
        Map<String, Map<String, SimChain>> work = copy(tables);
        String[] lines = input.split("\n", -1);
        Map<String, SimChain> table = null;
        String tableName = null;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int number = i + 1;
            Reject reject = reason -> IptablesException.rejected(tool, number, line, reason);
            if (line.startsWith("*")) {
                if (table != null) {
                    throw reject.because("no COMMIT for table " + tableName + " before the next table");
                }
                tableName = line.substring(1).strip();
                if (!Tables.isKnown(tableName)) {
                    throw reject.because("table name '" + tableName + "' invalid");
                }
                table = work.computeIfAbsent(tableName, SimulatedTables::newTable);
                if (!noflush) {
                    final Map<String, SimChain> t = table;
                    t.values().forEach(c -> c.rules.clear());
                    t.entrySet().removeIf(e -> e.getValue().policy == null);
                }
                continue;
            }
            if (table == null) {
                throw reject.because("no table (*table line) before this line");
            }
            if (line.equals("COMMIT")) {
                table = null;
                continue;
            }
            if (line.startsWith(":")) {
                declare(table, tableName, line, reject);
                continue;
            }
            List<String> tokens;
            try {
                tokens = RestoreSyntax.split(line);
            } catch (IllegalArgumentException e) {
                throw reject.because("unterminated quote");
            }
            command(table, tableName, tokens, reject);
        }
        if (table != null) {
            throw IptablesException.rejected(tool, lines.length, lines[lines.length - 1], "no COMMIT for table " + tableName);
        }
        tables = work;
    }

    @FunctionalInterface
    private interface Reject {
        IptablesException because(String reason);
    }

    private static void declare(Map<String, SimChain> table, String tableName, String line, Reject reject) {
        String[] parts = line.substring(1).strip().split("\\s+");
        String name = parts[0];
        String policy = parts.length > 1 ? parts[1] : "-";
        if (Tables.isBuiltin(tableName, name)) {
            if (!policy.equals("-")) {
                table.get(name).policy = policy;
            }
            return;
        }
        if (!policy.equals("-")) {
            throw reject.because("user chain " + name + " cannot have a policy");
        }
        SimChain existing = table.get(name);
        if (existing != null) {
            existing.rules.clear();
        } else {
            table.put(name, new SimChain(null));
        }
    }

    private static void command(Map<String, SimChain> table, String tableName, List<String> tokens, Reject reject) {
        String command = tokens.get(0);
        String chainName = tokens.size() > 1 ? tokens.get(1) : null;
        SimChain chain = chainName == null ? null : table.get(chainName);
        switch (command) {
            case "-N" -> {
                if (chain != null) {
                    throw reject.because("Chain already exists");
                }
                table.put(chainName, new SimChain(null));
            }
            case "-A" -> {
                requireChain(chain, chainName, reject);
                List<String> rule = tokens.subList(2, tokens.size());
                checkTarget(table, rule, reject);
                chain.rules.add(List.copyOf(rule));
            }
            case "-I" -> {
                requireChain(chain, chainName, reject);
                int position = 1;
                int from = 2;
                if (tokens.size() > 2 && tokens.get(2).matches("\\d{1,6}")) {
                    position = Integer.parseInt(tokens.get(2));
                    from = 3;
                }
                if (position < 1 || position > chain.rules.size() + 1) {
                    throw reject.because("Index of insertion too big");
                }
                List<String> rule = tokens.subList(from, tokens.size());
                checkTarget(table, rule, reject);
                chain.rules.add(position - 1, List.copyOf(rule));
            }
            case "-D" -> {
                requireChain(chain, chainName, reject);
                if (tokens.size() == 3 && tokens.get(2).matches("\\d{1,6}")) {
                    int index = Integer.parseInt(tokens.get(2));
                    if (index < 1 || index > chain.rules.size()) {
                        throw reject.because("Index of deletion too big");
                    }
                    chain.rules.remove(index - 1);
                } else if (!chain.rules.remove(tokens.subList(2, tokens.size()))) {
                    throw reject.because("Bad rule (does a matching rule exist in that chain?)");
                }
            }
            case "-F" -> {
                if (chainName == null) {
                    table.values().forEach(c -> c.rules.clear());
                } else {
                    requireChain(chain, chainName, reject);
                    chain.rules.clear();
                }
            }
            case "-X" -> {
                requireChain(chain, chainName, reject);
                if (chain.policy != null) {
                    throw reject.because("Cannot delete built-in chain " + chainName);
                }
                if (!chain.rules.isEmpty()) {
                    throw reject.because("Directory not empty: chain " + chainName);
                }
                for (SimChain other : table.values()) {
                    for (List<String> rule : other.rules) {
                        if (chainName.equals(RuleArgs.target(rule))) {
                            throw reject.because("CHAIN_DEL failed (Device or resource busy): chain " + chainName);
                        }
                    }
                }
                table.remove(chainName);
            }
            case "-P" -> {
                requireChain(chain, chainName, reject);
                if (chain.policy == null || tokens.size() != 3) {
                    throw reject.because("Bad policy");
                }
                chain.policy = tokens.get(2);
            }
            default -> throw reject.because("unknown command " + command + " in " + tableName);
        }
    }

    private static void requireChain(SimChain chain, String name, Reject reject) {
        if (chain == null) {
            throw reject.because("Chain '" + name + "' does not exist");
        }
    }

    private static void checkTarget(Map<String, SimChain> table, List<String> rule, Reject reject) {
        String target = RuleArgs.target(rule);
        if (target != null && !TARGETS.contains(target) && !table.containsKey(target)) {
            throw reject.because("Chain '" + target + "' does not exist");
        }
    }

    /** iptables-save output of {@code table} (printed empty if it does not exist yet), or of every table if null. */
    synchronized String save(String table) {
        StringBuilder sb = new StringBuilder("# Generated by the simulated iptables-save\n");
        if (table != null) {
            print(sb, table, tables.getOrDefault(table, newTable(table)));
        } else {
            tables.forEach((name, chains) -> print(sb, name, chains));
        }
        return sb.toString();
    }

    private static void print(StringBuilder sb, String name, Map<String, SimChain> chains) {
        sb.append('*').append(name).append('\n');
        List<String> order = new ArrayList<>();
        for (String builtin : Tables.builtinChains(name)) {
            if (chains.containsKey(builtin)) {
                order.add(builtin);
            }
        }
        new TreeMap<>(chains).forEach((chain, c) -> {
            if (c.policy == null) {
                order.add(chain);
            }
        });
        for (String chain : order) {
            String policy = chains.get(chain).policy;
            sb.append(':').append(chain).append(' ').append(policy == null ? "-" : policy).append(" [0:0]\n");
        }
        for (String chain : order) {
            for (List<String> rule : chains.get(chain).rules) {
                sb.append("-A ").append(chain).append(' ').append(RestoreSyntax.join(rule)).append('\n');
            }
        }
        sb.append("COMMIT\n");
    }

    private static Map<String, SimChain> newTable(String name) {
        Map<String, SimChain> chains = new LinkedHashMap<>();
        for (String builtin : Tables.builtinChains(name)) {
            chains.put(builtin, new SimChain("ACCEPT"));
        }
        return chains;
    }

    private static Map<String, Map<String, SimChain>> copy(Map<String, Map<String, SimChain>> source) {
        Map<String, Map<String, SimChain>> copy = new LinkedHashMap<>();
        source.forEach((table, chains) -> {
            Map<String, SimChain> c = new LinkedHashMap<>();
            chains.forEach((name, chain) -> c.put(name, chain.copy()));
            copy.put(table, c);
        });
        return copy;
    }
}
