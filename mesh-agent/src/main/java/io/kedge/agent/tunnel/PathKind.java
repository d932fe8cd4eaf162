package io.kedge.agent.tunnel;

/** How a tunnel reaches its peer, best first. */
public enum PathKind {
    /** Host candidate to host candidate: the same LAN (or a routed path without NAT). */
    DIRECT_LAN("direct-lan"),
    /** Through at least one NAT, with a server- or peer-reflexive candidate (a punched hole). */
    DIRECT_PUNCHED("direct-punched"),
    /** Through a TURN relay over UDP. */
    RELAYED("relayed"),
    /** Through a TURN relay over TCP (sites that block UDP). */
    RELAYED_TCP("tcp-relay");

    private final String label;

    PathKind(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
