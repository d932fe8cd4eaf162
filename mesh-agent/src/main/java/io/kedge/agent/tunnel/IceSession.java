package io.kedge.agent.tunnel;

import java.io.IOException;
import java.net.DatagramSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.Agent;
import org.ice4j.ice.CandidatePair;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.Component;
import org.ice4j.ice.IceMediaStream;
import org.ice4j.ice.IceProcessingState;
import org.ice4j.ice.LocalCandidate;
import org.ice4j.ice.RelayedCandidate;
import org.ice4j.ice.RemoteCandidate;
import org.ice4j.ice.harvest.StunCandidateHarvester;
import org.ice4j.security.LongTermCredential;
import org.ice4j.socket.IceSocketWrapper;

/**
 * One ICE negotiation with one peer through ice4j: a single component whose candidates are this
 * host's addresses (host), what the mesh-servers see of it (server-reflexive) and allocations on
 * them (relayed). Gathering blocks (TURN allocations), so callers run it off event loops.
 */
final class IceSession implements AutoCloseable {
    /** The pair ICE chose, its socket (ice4j keeps consent and keepalives on it) and what kind of path it is. */
    record Selected(DatagramSocket socket, TransportAddress remote, PathKind path, String via) {
    }

    /** How long {@link #close()} gives TURN deletes to leave before ICE's stack stops. */
    private static final long RELEASE_GRACE_MILLIS = 50;

    /** Ta, the pacing of connectivity checks (RFC 8445 section 14.2 allows down to 5 ms; see the constructor). */
    static final long CHECK_PACING_MILLIS = 20;

    private final Agent agent;
    private final IceMediaStream stream;
    private final Component component;
    private final CompletableFuture<Selected> selected = new CompletableFuture<>();
    private final InterfaceExclusions exclusions;

    /**
     * @param allocate   whether to hold TURN allocations for relayed candidates; a session looking only
     *                   for a direct path (a path upgrade) gathers host and server-reflexive ones
     * @param exclusions interfaces whose host candidates are not offered to the peer
     */
    IceSession(boolean controlling, List<RelayServer> relays, boolean holePunch, int port, boolean allocate, InterfaceExclusions exclusions)
            throws IOException {
        this.exclusions = exclusions;
        agent = new Agent();
        agent.setControlling(controlling);
        agent.setTrickling(false);
        // Checks go out every Ta. Not faster than ice4j's 20 ms: with 5 ms a relayed pair (checked
        // last for its low priority) could validate before the punched pair that needs the peer's
        // first check to open its NAT, and the controlling side nominates the first valid pair, so
        // a punchable pair ended up relayed (seen in NatMatrixIT, none -> port-restricted).
        agent.setTa(CHECK_PACING_MILLIS);
        java.util.Set<TransportAddress> stunServers = new java.util.LinkedHashSet<>();
        for (RelayServer r : relays) {
            if (r.transport().equals("udp")) {
                TransportAddress server = new TransportAddress(r.address(), Transport.UDP);
                if (holePunch && stunServers.add(server)) {
                    agent.addCandidateHarvester(new StunCandidateHarvester(server));
                }
                if (allocate) {
                    agent.addCandidateHarvester(new RefusalAwareTurnHarvester(server, new LongTermCredential(r.username(), r.password())));
                }
            }
        }
        stream = agent.createMediaStream("tunnel");
        // Port 0: a random port among the dynamic ones (ice4j walks up from the preferred one when taken).
        int preferred = port != 0 ? port : 49152 + java.util.concurrent.ThreadLocalRandom.current().nextInt(16000);
        // No merging component socket: it reads every candidate's socket on a thread of its own and
        // queues what it reads, one more hand-off per received datagram; the bridge reads the
        // selected pair's own socket instead (ice4j's STUN still gets its messages from it).
        component = agent.createComponent(stream, preferred, port != 0 ? port : 49152, port != 0 ? port : 65535,
                org.ice4j.ice.KeepAliveStrategy.SELECTED_ONLY, false);
        agent.addStateChangeListener(event -> {
            Object state = event.getNewValue();
            if (state == IceProcessingState.COMPLETED) {
                CandidatePair pair = component.getSelectedPair();
                if (pair == null) {
                    selected.completeExceptionally(new IOException("ICE completed without a selected pair"));
                } else {
                    Selected chosen = describe(pair);
                    // A relay the chosen pair does not use has no further purpose: give it back now
                    // rather than hold an allocation (and the agent's relay quota) for the tunnel's life.
                    releaseRelays(pair.getLocalCandidate());
                    selected.complete(chosen);
                }
            } else if (state == IceProcessingState.FAILED) {
                selected.completeExceptionally(new IOException("ICE failed: no candidate pair connected"));
            }
        });
    }

    private Selected describe(CandidatePair pair) {
        LocalCandidate local = pair.getLocalCandidate();
        RemoteCandidate remote = pair.getRemoteCandidate();
        PathKind path;
        String via = null;
        if (local.getType() == CandidateType.RELAYED_CANDIDATE) {
            path = PathKind.RELAYED;
            via = local.getTransportAddress().getHostAddress();
        } else if (remote.getType() == CandidateType.RELAYED_CANDIDATE) {
            path = PathKind.RELAYED;
            via = remote.getTransportAddress().getHostAddress();
        } else if (atOwnAddress(local, component.getLocalCandidates()) && atOwnAddress(remote, component.getRemoteCandidates())
                && (sameSubnet(local.getTransportAddress().getAddress(), remote.getTransportAddress().getAddress())
                || (Boolean.FALSE.equals(behindNat(component.getLocalCandidates()))
                && Boolean.FALSE.equals(behindNat(component.getRemoteCandidates()))))) {
            // Host to host within one interface's subnet, or routed with no NAT on either side. Host
            // to host across a router from behind a NAT (a routed host reached from a NATed site) is
            // no LAN path, whatever the candidate types say.
            path = PathKind.DIRECT_LAN;
        } else {
            path = PathKind.DIRECT_PUNCHED;
        }
        @SuppressWarnings("deprecation") // the pair's own socket: the supported way without a component socket
        org.ice4j.socket.IceSocketWrapper socket = pair.getIceSocketWrapper();
        return new Selected(socket.getUDPSocket(), remote.getTransportAddress(), path, via);
    }

    /**
     * Whether {@code c} is at one of its side's own host addresses: a host candidate, or a
     * peer-reflexive one whose IP is a host address of that side (a node that masquerades its pods'
     * traffic sends some checks from its own address on another port; no NAT between the nodes
     * rewrote it).
     */
    static boolean atOwnAddress(org.ice4j.ice.Candidate<?> c, List<? extends org.ice4j.ice.Candidate<?>> side) {
        if (c.getType() == CandidateType.HOST_CANDIDATE) {
            return true;
        }
        if (c.getType() != CandidateType.PEER_REFLEXIVE_CANDIDATE) {
            return false;
        }
        for (org.ice4j.ice.Candidate<?> other : side) {
            if (other.getType() == CandidateType.HOST_CANDIDATE
                    && other.getTransportAddress().getAddress().equals(c.getTransportAddress().getAddress())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether one side's candidates show it behind a NAT: a server-reflexive address, or the mapped
     * address a relayed candidate was allocated from, that is none of its host addresses. Null when
     * they cannot tell (no server ever answered).
     */
    static Boolean behindNat(List<? extends org.ice4j.ice.Candidate<?>> candidates) {
        java.util.Set<java.net.InetAddress> hosts = new java.util.HashSet<>();
        for (org.ice4j.ice.Candidate<?> c : candidates) {
            if (c.getType() == CandidateType.HOST_CANDIDATE) {
                hosts.add(c.getTransportAddress().getAddress());
            }
        }
        boolean answered = false;
        for (org.ice4j.ice.Candidate<?> c : candidates) {
            TransportAddress seen = c.getType() == CandidateType.SERVER_REFLEXIVE_CANDIDATE ? c.getTransportAddress()
                    : c.getType() == CandidateType.RELAYED_CANDIDATE ? c.getRelatedAddress() : null;
            if (seen != null) {
                answered = true;
                if (!hosts.contains(seen.getAddress())) {
                    return true;
                }
            }
        }
        return answered ? Boolean.FALSE : null;
    }

    /** Whether {@code remote} is in the subnet of one of this host's (up, non-loopback) interfaces. */
    static boolean onLocalSubnet(java.net.InetAddress remote) {
        try {
            for (java.net.NetworkInterface nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (java.net.InterfaceAddress ia : nic.getInterfaceAddresses()) {
                    if (ia.getAddress() instanceof java.net.Inet4Address
                            && prefixMatches(ia.getAddress().getAddress(), remote.getAddress(), ia.getNetworkPrefixLength())) {
                        return true;
                    }
                }
            }
        } catch (java.net.SocketException e) {
            return false;
        }
        return false;
    }

    /** Whether {@code remote} is in the subnet of the interface holding {@code local}. */
    static boolean sameSubnet(java.net.InetAddress local, java.net.InetAddress remote) {
        try {
            java.net.NetworkInterface nic = java.net.NetworkInterface.getByInetAddress(local);
            if (nic == null) {
                return false;
            }
            for (java.net.InterfaceAddress ia : nic.getInterfaceAddresses()) {
                if (ia.getAddress().equals(local)) {
                    return prefixMatches(local.getAddress(), remote.getAddress(), ia.getNetworkPrefixLength());
                }
            }
        } catch (java.net.SocketException e) {
            return false;
        }
        return false;
    }

    static boolean prefixMatches(byte[] a, byte[] b, int bits) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >> (i % 8);
            if ((a[i / 8] & mask) != (b[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether gathering got an answer from any mesh-server over UDP (a server-reflexive or a
     * relayed candidate). Without one, this site drops UDP towards the relays, and the tunnel
     * takes the TCP relay path instead.
     */
    boolean reachesRelaysOverUdp() {
        for (LocalCandidate c : component.getLocalCandidates()) {
            if (c.getType() == CandidateType.SERVER_REFLEXIVE_CANDIDATE || c.getType() == CandidateType.RELAYED_CANDIDATE) {
                return true;
            }
        }
        return false;
    }

    String ufrag() {
        return agent.getLocalUfrag();
    }

    String password() {
        return agent.getLocalPassword();
    }

    /** Everything gathered, offered or not. */
    List<LocalCandidate> localCandidates() {
        return component.getLocalCandidates();
    }

    /** What this side offers the peer: its candidates but host ones on interfaces excluded now. */
    List<String> candidates() {
        List<String> out = new ArrayList<>();
        for (LocalCandidate c : component.getLocalCandidates()) {
            if (c.getType() == CandidateType.HOST_CANDIDATE && exclusions.excludesAddress(c.getTransportAddress().getAddress())) {
                continue;
            }
            out.add(IceCandidates.format(c));
        }
        return out;
    }

    /** Takes the peer's description and starts connectivity checks; the future completes on COMPLETED or FAILED. */
    CompletableFuture<Selected> connect(String remoteUfrag, String remotePassword, List<String> remoteCandidates) {
        stream.setRemoteUfrag(remoteUfrag);
        stream.setRemotePassword(remotePassword);
        int added = 0;
        for (String line : remoteCandidates) {
            RemoteCandidate c = IceCandidates.parse(line, component);
            if (c != null) {
                component.addRemoteCandidate(c);
                added++;
            }
        }
        if (added == 0) {
            selected.completeExceptionally(new IOException("the peer offered no usable candidate"));
            return selected;
        }
        agent.startConnectivityEstablishment();
        return selected;
    }

    /**
     * Deletes the TURN allocations of relayed candidates other than {@code keep}: closing a relayed
     * socket sends a Refresh with lifetime 0. This must happen while ICE's STUN stack still runs;
     * {@link Agent#free()} stops the stack before it frees candidates, so their deletes never left
     * and the relay held every allocation until it expired.
     */
    private void releaseRelays(LocalCandidate keep) {
        for (LocalCandidate c : component.getLocalCandidates()) {
            if (c instanceof RelayedCandidate relayed && relayed != keep) {
                IceSocketWrapper socket = relayed.getCandidateIceSocketWrapper();
                if (socket != null) {
                    socket.close();
                }
            }
        }
    }

    @Override
    public void close() {
        selected.completeExceptionally(new IOException("closed"));
        releaseRelays(null);
        try {
            Thread.sleep(RELEASE_GRACE_MILLIS); // let the deletes leave before the stack stops
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        agent.free();
    }
}
