package io.kedge.topo.probe;

import static io.kedge.topo.probe.NatBehaviour.Kind.ADDRESS_AND_PORT_DEPENDENT;
import static io.kedge.topo.probe.NatBehaviour.Kind.ADDRESS_DEPENDENT;
import static io.kedge.topo.probe.NatBehaviour.Kind.ENDPOINT_INDEPENDENT;
import static io.kedge.topo.probe.NatBehaviour.Kind.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class NatBehaviourTest {
    @Test
    void classifiesRfc5780Results() {
        assertThat(new NatBehaviour(true, true, "100.64.1.11:4000", "100.64.1.11:4000", ENDPOINT_INDEPENDENT, ENDPOINT_INDEPENDENT).classification())
                .isEqualTo("none");
        assertThat(new NatBehaviour(true, true, "100.64.1.11:4000", "203.0.113.100:4000", ENDPOINT_INDEPENDENT, ADDRESS_AND_PORT_DEPENDENT).classification())
                .isEqualTo("port-restricted");
        assertThat(new NatBehaviour(true, true, "100.64.1.11:4000", "203.0.113.100:4000", ENDPOINT_INDEPENDENT, ADDRESS_DEPENDENT).classification())
                .isEqualTo("restricted-cone");
        assertThat(new NatBehaviour(true, true, "100.64.1.11:4000", "203.0.113.100:4000", ENDPOINT_INDEPENDENT, ENDPOINT_INDEPENDENT).classification())
                .isEqualTo("full-cone");
        assertThat(new NatBehaviour(true, true, "100.64.1.11:4000", "203.0.113.100:61000", ADDRESS_AND_PORT_DEPENDENT, ADDRESS_AND_PORT_DEPENDENT).classification())
                .isEqualTo("symmetric");
        assertThat(new NatBehaviour(false, true, "100.64.1.11:4000", "203.0.113.100:5000", UNKNOWN, UNKNOWN).classification())
                .isEqualTo("udp-blocked");
        assertThat(new NatBehaviour(false, false, "100.64.1.11:4000", null, UNKNOWN, UNKNOWN).classification())
                .isEqualTo("blocked");
    }

    @Test
    void messagesRoundTripAndJunkIsRejected() throws Exception {
        ProbeMessage request = ProbeMessage.request(ProbeMessage.CHANGE_IP, 42L);
        byte[] wire = request.encode();
        assertThat(ProbeMessage.decode(wire, wire.length)).isEqualTo(request);

        InetSocketAddress mapped = new InetSocketAddress(InetAddress.getByName("203.0.113.100"), 40000);
        InetSocketAddress from = new InetSocketAddress(InetAddress.getByName("203.0.113.251"), 3491);
        ProbeMessage response = new ProbeMessage(ProbeMessage.RESPONSE, 3, 7L, mapped, from);
        byte[] rwire = response.encode();
        assertThat(ProbeMessage.decode(rwire, rwire.length)).isEqualTo(response);

        assertThat(ProbeMessage.decode(new byte[14], 14)).as("wrong magic").isNull();
        assertThat(ProbeMessage.decode(wire, 10)).as("truncated").isNull();
        byte[] badFlags = wire.clone();
        badFlags[5] = (byte) 0x80;
        assertThat(ProbeMessage.decode(badFlags, badFlags.length)).as("unknown flags").isNull();
        assertThat(ProbeMessage.decode(new byte[100], 100)).as("oversized").isNull();
    }
}
