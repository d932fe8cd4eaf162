package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.RemoteCandidate;
import org.junit.jupiter.api.Test;

/** The TCP relay announcement in signaling, and how a side's candidates tell whether it is behind a NAT. */
class IceCandidatesTest {
    @Test
    void theTcpRelayAnnouncementRoundTripsAndIsFoundAmongOtherLines() {
        InetSocketAddress relayed = new InetSocketAddress("203.0.113.2", 50321);
        String line = IceCandidates.tcpRelay(relayed);
        assertThat(IceCandidates.tcpRelay(List.of("candidate:1 1 udp 2130706431 100.64.1.2 50000 typ host", line))).isEqualTo(relayed);
    }

    @Test
    void noOrMalformedAnnouncementIsNone() {
        assertThat(IceCandidates.tcpRelay(List.of())).isNull();
        assertThat(IceCandidates.tcpRelay(List.of("candidate:1 1 udp 2130706431 100.64.1.2 50000 typ host"))).isNull();
        assertThat(IceCandidates.tcpRelay(List.of("candidate:tcp-relay 1 tcp-relay 1 relay.example 50000 typ relay"))).isNull();
        assertThat(IceCandidates.tcpRelay(List.of("candidate:tcp-relay 1 tcp-relay 1 203.0.113.2 70000 typ relay"))).isNull();
        assertThat(IceCandidates.tcpRelay(List.of("candidate:tcp-relay 1 tcp-relay 1 203.0.113.2 port typ relay"))).isNull();
        assertThat(IceCandidates.tcpRelay(List.of("candidate:tcp-relay 1 tcp-relay"))).isNull();
    }

    @Test
    void hostAddressesAreTheUdpHostCandidatesOnly() throws Exception {
        assertThat(IceCandidates.hostAddresses(List.of(
                "candidate:1 1 udp 2130706431 100.64.1.2 50000 typ host",
                "candidate:2 1 udp 1694498815 203.0.113.5 50000 typ srflx raddr 100.64.1.2 rport 50000",
                "candidate:3 1 tcp 2130706431 100.64.1.3 50000 typ host",
                "candidate:4 1 udp 2130706431 lan.example 50000 typ host",
                IceCandidates.tcpRelay(new InetSocketAddress("203.0.113.2", 50321)),
                "garbage")))
                .containsExactly(java.net.InetAddress.getByName("100.64.1.2"));
    }

    static RemoteCandidate candidate(CandidateType type, String address, int port, RemoteCandidate related) {
        return new RemoteCandidate(new TransportAddress(address, port, Transport.UDP), null, type, "f", 1, related);
    }

    @Test
    void aSideIsBehindANatWhenAServerSawItAtAnotherAddress() {
        RemoteCandidate host = candidate(CandidateType.HOST_CANDIDATE, "100.64.1.2", 50000, null);
        RemoteCandidate srflx = candidate(CandidateType.SERVER_REFLEXIVE_CANDIDATE, "203.0.113.5", 50000, host);
        RemoteCandidate relayedFromNat = candidate(CandidateType.RELAYED_CANDIDATE, "203.0.113.2", 61000,
                candidate(CandidateType.HOST_CANDIDATE, "203.0.113.5", 50000, null));
        RemoteCandidate relayedFromHost = candidate(CandidateType.RELAYED_CANDIDATE, "203.0.113.2", 61001,
                candidate(CandidateType.HOST_CANDIDATE, "100.64.1.2", 50000, null));
        assertThat(IceSession.behindNat(List.of(host, srflx))).isTrue();
        assertThat(IceSession.behindNat(List.of(host, relayedFromNat))).isTrue();
        // A routed host: the relay saw it at its own address (its server-reflexive twin was redundant and dropped).
        assertThat(IceSession.behindNat(List.of(host, relayedFromHost))).isFalse();
        // No server answered: nobody can tell.
        assertThat(IceSession.behindNat(List.of(host))).isNull();
    }
}
