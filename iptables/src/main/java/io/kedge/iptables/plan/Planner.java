package io.kedge.iptables.plan;

import io.kedge.iptables.Change;
import io.kedge.iptables.ChangeKind;
import io.kedge.iptables.DesiredTable;
import io.kedge.iptables.IpFamily;
import io.kedge.iptables.Owner;
import io.kedge.iptables.PlacedRule;
import io.kedge.iptables.TableKey;
import io.kedge.iptables.Tables;
import io.kedge.iptables.save.InstalledChain;
import io.kedge.iptables.save.InstalledRule;
import io.kedge.iptables.save.InstalledTable;
import io.kedge.iptables.save.RestoreSyntax;
import io.kedge.iptables.save.Ruleset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The diff: compares the desired tables of one family with what iptables-save shows and writes the
 * one iptables-restore {@code --noflush} transaction that repairs every difference. Pure: no I/O.
 *
 * <p>Rules are compared by the id in their ownership comment, never by text. Within a table the
 * transaction is ordered so that every step is valid when it runs: declare (create, or flush) the
 * owned chains to rewrite and the stale ones; delete our rules, and rules pointing at stale chains,
 * from chains we do not own; fill the rewritten chains; insert the jumps at the top of their built-in
 * chains; delete the (now empty and unreferenced) stale chains.
 */
public final class Planner {
    private Planner() {
    }

    /**
     * @param desired   the desired tables of {@code family} by name (tables not in it are desired empty)
     * @param installed what iptables-save printed for the tables to consider; tables absent from both are left alone
     */
    public static RestorePlan plan(IpFamily family, Owner owner, Map<String, DesiredTable> desired, Ruleset installed) {
        Set<String> names = new TreeSet<>(desired.keySet());
        names.addAll(installed.tables().keySet());
        List<TableScript> scripts = new ArrayList<>();
        List<Change> changes = new ArrayList<>();
        for (String name : names) {
            if (!Tables.isKnown(name)) {
                continue; // Not a table iptables-restore could address; nothing of ours can be in it.
            }
            TablePlanner table = new TablePlanner(new TableKey(family, name), owner,
                    desired.getOrDefault(name, DesiredTable.EMPTY), installed.table(name));
            table.plan();
            if (!table.isEmpty()) {
                scripts.add(table.script());
                changes.addAll(table.changes);
            }
        }
        return new RestorePlan(family, scripts, changes);
    }

    /** The plan for one table. */
    private static final class TablePlanner {
        private final TableKey key;
        private final Owner owner;
        private final DesiredTable desired;
        private final InstalledTable installed;

        private final Set<String> declare = new LinkedHashSet<>();
        private final List<String> deletes = new ArrayList<>();
        private final List<String> appends = new ArrayList<>();
        private final List<String> inserts = new ArrayList<>();
        private final List<String> removes = new ArrayList<>();
        private final List<Change> changes = new ArrayList<>();

        TablePlanner(TableKey key, Owner owner, DesiredTable desired, InstalledTable installed) {
            this.key = key;
            this.owner = owner;
            this.desired = desired;
            this.installed = installed;
        }

        void plan() {
            Set<String> stale = new LinkedHashSet<>();
            for (InstalledChain chain : installed.chains().values()) {
                if (!chain.builtin() && owner.ownsChain(chain.name()) && !desired.chains().containsKey(chain.name())) {
                    stale.add(chain.name());
                    // Flushed first, so that stale chains pointing at each other can all be deleted.
                    declare.add(chain.name());
                    removes.add("-X " + chain.name());
                    changes.add(new Change(key, chain.name(), ChangeKind.STALE_CHAIN, chain.rules().size() + " rules"));
                }
            }
            desired.chains().forEach(this::planOwnedChain);
            for (InstalledChain chain : installed.chains().values()) {
                if (!owner.ownsChain(chain.name()) || chain.builtin()) {
                    planForeignChain(chain, stale);
                }
            }
            desired.jumps().forEach((from, jumps) -> {
                if (installed.chain(from) == null) {
                    // The table (or chain) does not exist yet: restore creates built-in chains on first use.
                    jumps.forEach(j -> changes.add(new Change(key, from, ChangeKind.JUMP_MISSING, "jump to " + j.target())));
                    insertAtTop(from, jumps);
                }
            });
        }

        private void planOwnedChain(String name, List<PlacedRule> rules) {
            InstalledChain chain = installed.chain(name);
            if (chain == null) {
                changes.add(new Change(key, name, ChangeKind.CHAIN_MISSING, rules.size() + " rules"));
            } else {
                List<String> have = chain.rules().stream().map(this::idOf).toList();
                List<String> want = rules.stream().map(PlacedRule::id).toList();
                if (have.equals(want)) {
                    return;
                }
                changes.add(new Change(key, name, ChangeKind.CHAIN_CHANGED, describeDifference(have, want)));
            }
            // Declaring an existing chain flushes it: the chain is rewritten whole, in the same transaction.
            declare.add(name);
            for (PlacedRule rule : rules) {
                appends.add("-A " + name + " " + RestoreSyntax.join(rule.restoreArgs()));
            }
        }

        /** A built-in chain, or a user chain of another tool: only our jumps and references to stale chains concern us. */
        private void planForeignChain(InstalledChain chain, Set<String> stale) {
            List<PlacedRule> want = desired.jumpsFrom(chain.name());
            List<InstalledRule> ours = new ArrayList<>();
            for (InstalledRule rule : chain.rules()) {
                if (owner.ownsComment(rule.comment())) {
                    ours.add(rule);
                } else if (stale.contains(rule.target())) {
                    delete(rule);
                    changes.add(new Change(key, chain.name(), ChangeKind.STALE_REFERENCE, rule.toString()));
                }
            }
            if (want.isEmpty()) {
                for (InstalledRule rule : ours) {
                    delete(rule);
                    changes.add(new Change(key, chain.name(), ChangeKind.STALE_JUMP, rule.toString()));
                }
                return;
            }
            if (jumpsInPlace(chain, ours, want)) {
                return;
            }
            explainJumps(chain, ours, want);
            // Take ours out wherever they are and put them back at the top: one transaction, so
            // packets never see the chain without them.
            ours.forEach(this::delete);
            insertAtTop(chain.name(), want);
        }

        /** Ours are exactly the desired jumps, in order, heading the chain. */
        private boolean jumpsInPlace(InstalledChain chain, List<InstalledRule> ours, List<PlacedRule> want) {
            if (ours.size() != want.size() || chain.rules().size() < want.size()) {
                return false;
            }
            for (int i = 0; i < want.size(); i++) {
                if (!want.get(i).id().equals(idOf(chain.rules().get(i)))) {
                    return false;
                }
            }
            return true;
        }

        private void explainJumps(InstalledChain chain, List<InstalledRule> ours, List<PlacedRule> want) {
            Map<String, Integer> counts = new HashMap<>();
            ours.forEach(r -> counts.merge(String.valueOf(idOf(r)), 1, Integer::sum));
            Set<String> wantIds = new java.util.HashSet<>();
            int before = changes.size();
            for (PlacedRule jump : want) {
                wantIds.add(jump.id());
                int count = counts.getOrDefault(jump.id(), 0);
                if (count == 0) {
                    changes.add(new Change(key, chain.name(), ChangeKind.JUMP_MISSING, "jump to " + jump.target()));
                } else if (count > 1) {
                    changes.add(new Change(key, chain.name(), ChangeKind.DUPLICATE_JUMP, "jump to " + jump.target() + " installed " + count + " times"));
                }
            }
            for (InstalledRule rule : ours) {
                if (!wantIds.contains(idOf(rule))) {
                    changes.add(new Change(key, chain.name(), ChangeKind.STALE_JUMP, rule.toString()));
                }
            }
            if (changes.size() == before) {
                changes.add(new Change(key, chain.name(), ChangeKind.JUMP_NOT_FIRST, describeOrder(chain, want)));
            }
        }

        private String describeOrder(InstalledChain chain, List<PlacedRule> want) {
            for (int i = 0; i < chain.rules().size(); i++) {
                InstalledRule rule = chain.rules().get(i);
                if (!owner.ownsComment(rule.comment())) {
                    return "rule " + (i + 1) + " is not ours: " + rule;
                }
            }
            return want.size() + " jumps out of order";
        }

        private void insertAtTop(String chain, List<PlacedRule> jumps) {
            // Inserting the last one first leaves them at positions 1..n in the desired order.
            for (int i = jumps.size() - 1; i >= 0; i--) {
                inserts.add("-I " + chain + " 1 " + RestoreSyntax.join(jumps.get(i).restoreArgs()));
            }
        }

        private void delete(InstalledRule rule) {
            deletes.add("-D " + rule.chain() + " " + rule.spec());
        }

        private String idOf(InstalledRule rule) {
            return owner.ruleId(rule.comment()).orElse(null);
        }

        private static String describeDifference(List<String> have, List<String> want) {
            Map<String, Integer> balance = new HashMap<>();
            want.forEach(id -> balance.merge(id, 1, Integer::sum));
            int unexpected = 0;
            for (String id : have) {
                Integer n = id == null ? null : balance.get(id);
                if (n == null || n == 0) {
                    unexpected++;
                } else {
                    balance.put(id, n - 1);
                }
            }
            int missing = balance.values().stream().mapToInt(Integer::intValue).sum();
            if (missing == 0 && unexpected == 0) {
                return "rules out of order";
            }
            return "have " + have.size() + " rules, want " + want.size() + ": " + missing + " missing, " + unexpected + " unexpected";
        }

        boolean isEmpty() {
            return declare.isEmpty() && deletes.isEmpty() && appends.isEmpty() && inserts.isEmpty() && removes.isEmpty();
        }

        TableScript script() {
            List<String> lines = new ArrayList<>();
            declare.forEach(chain -> lines.add(":" + chain + " - [0:0]"));
            lines.addAll(deletes);
            lines.addAll(appends);
            lines.addAll(inserts);
            lines.addAll(removes);
            return new TableScript(key.table(), lines);
        }
    }
}
