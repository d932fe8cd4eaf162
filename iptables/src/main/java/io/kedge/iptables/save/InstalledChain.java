package io.kedge.iptables.save;

import java.util.List;

/** A chain as installed: {@code policy} is null for user-defined chains (printed as {@code -}). */
public record InstalledChain(String name, String policy, List<InstalledRule> rules) {
    public InstalledChain {
        rules = List.copyOf(rules);
    }

    public boolean builtin() {
        return policy != null;
    }
}
