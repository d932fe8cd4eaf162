package io.kedge.iptables.plan;

import java.util.List;

/** The restore lines for one table, without the {@code *table} header and {@code COMMIT}. */
public record TableScript(String table, List<String> lines) {
    public TableScript {
        lines = List.copyOf(lines);
    }

    /** The complete block as iptables-restore reads it. */
    public String render() {
        StringBuilder sb = new StringBuilder("*").append(table).append('\n');
        lines.forEach(l -> sb.append(l).append('\n'));
        return sb.append("COMMIT\n").toString();
    }
}
