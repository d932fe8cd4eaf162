package io.kedge.iptables.backend;

import io.kedge.iptables.IpFamily;

/**
 * Reads and writes one family's rules: iptables-save and iptables-restore {@code --noflush}, of one
 * variant (nf_tables or legacy), possibly inside a network namespace.
 */
public interface IptablesBackend {
    IpFamily family();

    /** A short name for logs and status, e.g. {@code iptables-nft} or {@code ip6tables-legacy (ip netns exec x)}. */
    String description();

    /**
     * The iptables-save output of {@code table}, or of every table the kernel has when {@code table} is null.
     *
     * @throws io.kedge.iptables.IptablesException if it cannot be read
     */
    String save(String table);

    /**
     * Applies {@code input} with iptables-restore {@code --noflush}: as one transaction (per table with
     * the legacy variant), so a rejected line leaves the rules as they were.
     *
     * @throws io.kedge.iptables.IptablesException naming the rejected line, a missing permission or tool
     */
    void restore(String input);
}
