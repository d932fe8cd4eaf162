package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ice4j.ice.HostCandidate;
import org.ice4j.ice.LocalCandidate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The host candidates' sockets, which carry every tunnel datagram from the network, get deep buffers. */
class IceSessionSocketBuffersTest {
    @BeforeAll
    static void iceDefaults() {
        IceDefaults.apply("edgemesh0", InterfaceExclusions.of(List.of()));
    }

    @Test
    void hostCandidateSocketsAskForTheLargerBuffers() throws Exception {
        // The kernel grants up to net.core.rmem_max (Java reports the request, not the kernel's doubled figure).
        int granted = Math.min(IceDefaults.HOST_SOCKET_BUFFER, sysctl("rmem_max"));
        // Host candidates only: no STUN or TURN server, so nothing is sent anywhere.
        IceSession session = new IceSession(true, List.of(), false, 0, false, InterfaceExclusions.of(List.of()));
        try {
            List<DatagramSocket> sockets = session.localCandidates().stream()
                    .filter(HostCandidate.class::isInstance)
                    .map(c -> ((HostCandidate) c).getCandidateIceSocketWrapper().getUDPSocket())
                    .toList();
            assertThat(sockets).as("host candidates of %s", session.localCandidates()).isNotEmpty();
            for (DatagramSocket s : sockets) {
                // Without the widening this is the kernel's default, net.core.rmem_default.
                assertThat(s.getReceiveBufferSize()).as("receive buffer of %s (rmem_default %s)", s.getLocalSocketAddress(),
                        sysctl("rmem_default")).isGreaterThanOrEqualTo(granted);
            }
        } finally {
            session.close();
        }
    }

    private static int sysctl(String name) throws Exception {
        // readAllLines, not readString: a /proc file reports size 0 and readString returned only its first byte.
        return Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/core/" + name)).get(0).trim());
    }
}
