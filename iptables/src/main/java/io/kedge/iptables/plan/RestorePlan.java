package io.kedge.iptables.plan;

import io.kedge.iptables.Change;
import io.kedge.iptables.IpFamily;
import java.util.List;

/**
 * What one family needs to match the desired state: the iptables-restore {@code --noflush} input (one
 * block per table that needs anything) and the changes it makes. Empty when nothing differs.
 */
public record RestorePlan(IpFamily family, List<TableScript> tables, List<Change> changes) {
    public RestorePlan {
        tables = List.copyOf(tables);
        changes = List.copyOf(changes);
    }

    public boolean isEmpty() {
        return tables.isEmpty();
    }

    /** The restore input; empty when there is nothing to do. */
    public String input() {
        StringBuilder sb = new StringBuilder();
        tables.forEach(t -> sb.append(t.render()));
        return sb.toString();
    }
}
