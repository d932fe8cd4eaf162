package io.kedge.iptables;

/** The two address families iptables handles with separate tools and separate rule sets. */
public enum IpFamily {
    V4("iptables"),
    V6("ip6tables");

    private final String command;

    IpFamily(String command) {
        this.command = command;
    }

    /** The base name of this family's tools: {@code iptables} or {@code ip6tables}. */
    public String command() {
        return command;
    }
}
