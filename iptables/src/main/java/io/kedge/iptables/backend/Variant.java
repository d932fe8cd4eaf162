package io.kedge.iptables.backend;

import io.kedge.iptables.IpFamily;

/** The two implementations of the iptables tools, each with its own rule set in the kernel. */
public enum Variant {
    /** iptables-nft: rules live in nf_tables (what {@code iptables --version} calls "nf_tables"). */
    NFT("nft", "nf_tables"),
    /** iptables-legacy: the old x_tables kernel interface. */
    LEGACY("legacy", "legacy");

    private final String suffix;
    private final String versionMarker;

    Variant(String suffix, String versionMarker) {
        this.suffix = suffix;
        this.versionMarker = versionMarker;
    }

    /** e.g. {@code iptables-nft-save}, {@code ip6tables-legacy-restore}. */
    public String tool(IpFamily family, String action) {
        return family.command() + "-" + suffix + "-" + action;
    }

    /** What {@code iptables --version} prints in parentheses for this variant. */
    public String versionMarker() {
        return versionMarker;
    }

    public String configName() {
        return suffix;
    }
}
