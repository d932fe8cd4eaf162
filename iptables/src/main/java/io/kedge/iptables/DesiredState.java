package io.kedge.iptables;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The complete set of rules an owner wants, in every table of both families: its chains (each with
 * its rules in order) and the jumps into them from built-in chains. Immutable; build a new one
 * whenever anything changes and hand it to {@link IptablesReconciler#update}. Anything of the owner's
 * that is installed but not in here is removed.
 *
 * <pre>{@code
 * DesiredState desired = DesiredState.builder(Owner.KEDGE)
 *         .rule(IpFamily.V4, "nat", "KEDGE-SERVICES", Rule.of("default/web:http",
 *                 "-d", "198.18.0.10/32", "-p", "tcp", "--dport", "80",
 *                 "-j", "DNAT", "--to-destination", "169.254.96.16:40001"))
 *         .jump(IpFamily.V4, "nat", Jump.of("PREROUTING", "KEDGE-SERVICES", "from containers"))
 *         .jump(IpFamily.V4, "nat", Jump.of("OUTPUT", "KEDGE-SERVICES", "from this node"))
 *         .build();
 * }</pre>
 */
public final class DesiredState {
    /** Longest chain name iptables accepts. */
    static final int MAX_CHAIN_NAME = 28;
    private static final Pattern CHAIN_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    private final Owner owner;
    private final Map<TableKey, DesiredTable> tables;

    private DesiredState(Owner owner, Map<TableKey, DesiredTable> tables) {
        this.owner = owner;
        this.tables = Collections.unmodifiableMap(new TreeMap<>(tables));
    }

    public static Builder builder(Owner owner) {
        return new Builder(owner);
    }

    /** Nothing at all: applying it removes everything of {@code owner}'s. */
    public static DesiredState empty(Owner owner) {
        return new DesiredState(owner, Map.of());
    }

    public Owner owner() {
        return owner;
    }

    /** Every table with something desired in it, ordered by family then table name. */
    public Map<TableKey, DesiredTable> tables() {
        return tables;
    }

    public DesiredTable table(IpFamily family, String table) {
        return tables.getOrDefault(new TableKey(family, table), DesiredTable.EMPTY);
    }

    /** The desired tables of one family, by table name. */
    public Map<String, DesiredTable> tables(IpFamily family) {
        Map<String, DesiredTable> result = new LinkedHashMap<>();
        tables.forEach((key, table) -> {
            if (key.family() == family) {
                result.put(key.table(), table);
            }
        });
        return result;
    }

    public Set<IpFamily> families() {
        Set<IpFamily> families = EnumSet.noneOf(IpFamily.class);
        tables.keySet().forEach(k -> families.add(k.family()));
        return families;
    }

    public boolean isEmpty() {
        return tables.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DesiredState other && owner.equals(other.owner) && tables.equals(other.tables);
    }

    @Override
    public int hashCode() {
        return Objects.hash(owner, tables);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("DesiredState(" + owner.chainPrefix() + ")");
        tables.forEach((key, table) -> sb.append(' ').append(key).append(": ").append(table.chains().size())
                .append(" chains, ").append(table.jumps().values().stream().mapToInt(List::size).sum()).append(" jumps;"));
        return sb.toString();
    }

    /** Collects chains, rules and jumps; {@link #build()} checks that they fit together. */
    public static final class Builder {
        private final Owner owner;
        private final Map<TableKey, Map<String, List<Rule>>> chains = new LinkedHashMap<>();
        private final Map<TableKey, Map<String, List<Jump>>> jumps = new LinkedHashMap<>();

        private Builder(Owner owner) {
            this.owner = Objects.requireNonNull(owner, "owner");
        }

        /** Declares an owned chain (possibly left empty). */
        public Builder chain(IpFamily family, String table, String chain) {
            TableKey key = new TableKey(family, table);
            checkOwnedChain(key, chain);
            chains.computeIfAbsent(key, k -> new LinkedHashMap<>()).computeIfAbsent(chain, c -> new ArrayList<>());
            return this;
        }

        /** Appends a rule to an owned chain, declaring the chain if needed. */
        public Builder rule(IpFamily family, String table, String chain, Rule rule) {
            chain(family, table, chain);
            chains.get(new TableKey(family, table)).get(chain).add(Objects.requireNonNull(rule, "rule"));
            return this;
        }

        /** Appends rules to an owned chain, declaring the chain if needed. */
        public Builder rules(IpFamily family, String table, String chain, List<Rule> rules) {
            chain(family, table, chain);
            rules.forEach(r -> rule(family, table, chain, r));
            return this;
        }

        /** Adds a jump at the top of a built-in chain, after the jumps added before it to the same chain. */
        public Builder jump(IpFamily family, String table, Jump jump) {
            TableKey key = new TableKey(family, table);
            if (!Tables.isBuiltin(table, jump.from())) {
                throw new IllegalArgumentException("jumps start in a built-in chain of " + key + " (" + Tables.builtinChains(table)
                        + "), not " + jump.from());
            }
            List<Jump> list = jumps.computeIfAbsent(key, k -> new LinkedHashMap<>()).computeIfAbsent(jump.from(), c -> new ArrayList<>());
            for (Jump j : list) {
                if (j.args().equals(jump.args())) {
                    throw new IllegalArgumentException("duplicate jump in " + key + ": " + jump);
                }
            }
            list.add(jump);
            return this;
        }

        public DesiredState build() {
            Map<TableKey, DesiredTable> tables = new LinkedHashMap<>();
            Set<TableKey> keys = new java.util.LinkedHashSet<>(chains.keySet());
            keys.addAll(jumps.keySet());
            for (TableKey key : keys) {
                Map<String, List<Rule>> tableChains = chains.getOrDefault(key, Map.of());
                Map<String, List<PlacedRule>> placedChains = new LinkedHashMap<>();
                tableChains.forEach((chain, rules) -> {
                    List<PlacedRule> placed = new ArrayList<>();
                    for (Rule rule : rules) {
                        checkTarget(key, chain, rule.target(), tableChains);
                        placed.add(place(key, chain, rule.args(), rule.description()));
                    }
                    placedChains.put(chain, placed);
                });
                Map<String, List<PlacedRule>> placedJumps = new LinkedHashMap<>();
                jumps.getOrDefault(key, Map.of()).forEach((from, list) -> {
                    List<PlacedRule> placed = new ArrayList<>();
                    for (Jump jump : list) {
                        if (!tableChains.containsKey(jump.to())) {
                            throw new IllegalArgumentException("jump " + jump + " in " + key + " targets " + jump.to()
                                    + ", which is not one of the desired chains " + tableChains.keySet());
                        }
                        placed.add(place(key, from, jump.args(), jump.description()));
                    }
                    placedJumps.put(from, placed);
                });
                tables.put(key, new DesiredTable(placedChains, placedJumps));
            }
            return new DesiredState(owner, tables);
        }

        private PlacedRule place(TableKey key, String chain, List<String> args, String description) {
            String id = RuleId.of(key.family(), key.table(), chain, args, description);
            return new PlacedRule(chain, args, description, id, owner.comment(description, id));
        }

        private void checkOwnedChain(TableKey key, String chain) {
            if (chain == null || !owner.ownsChain(chain)) {
                throw new IllegalArgumentException("owned chains must start with " + owner.chainPrefix() + " (got \"" + chain + "\" in " + key + ")");
            }
            if (chain.length() > MAX_CHAIN_NAME || !CHAIN_NAME.matcher(chain).matches()) {
                throw new IllegalArgumentException("chain names are at most " + MAX_CHAIN_NAME + " letters, digits, '-', '_' or '.' (got \""
                        + chain + "\")");
            }
        }

        private void checkTarget(TableKey key, String chain, String target, Map<String, List<Rule>> tableChains) {
            // A rule may jump to another owned chain only if that chain is desired too: otherwise the
            // chain would be removed as stale while the rule still points at it.
            if (owner.ownsChain(target) && !tableChains.containsKey(target)) {
                throw new IllegalArgumentException("a rule in " + chain + " (" + key + ") jumps to " + target
                        + ", which is not one of the desired chains " + tableChains.keySet());
            }
        }
    }
}
