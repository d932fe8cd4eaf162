package io.kedge.server.binding;

import static io.kedge.server.testing.Net.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.server.stun.AttributeType;
import io.kedge.server.stun.ErrorCode;
import io.kedge.server.stun.StunClass;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.stun.StunMethod;
import io.kedge.server.testing.Requests;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class BindingServiceTest {
    static final InetAddress A = ip("203.0.113.11");
    static final InetAddress B = ip("203.0.113.12");
    static final InetSocketAddress CLIENT = new InetSocketAddress(ip("198.51.100.9"), 40000);


    static StunMessage binding(Integer changeFlags) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST);
        if (changeFlags != null) {
            b.u32(AttributeType.CHANGE_REQUEST, changeFlags);
        }
        return Requests.unsigned(b);
    }

    @Test
    void answersWithTheMappedAddressAndNothingElseWithoutAnAlternate() throws Exception {
        BindingService s = new BindingService(new StunEndpoints(A, 3478, null, 3479), "sw");
        InetSocketAddress local = new InetSocketAddress(A, 3478);
        StunMessage request = binding(null);
        BindingService.Reply r = s.respond(request, CLIENT, local, true);
        assertThat(r.sendFrom()).isEqualTo(local);
        assertThat(r.message().type()).isEqualTo(StunClass.SUCCESS);
        assertThat(r.message().transactionId()).isEqualTo(request.transactionId());
        assertThat(r.message().xorAddress(AttributeType.XOR_MAPPED_ADDRESS)).isEqualTo(CLIENT);
        assertThat(r.message().address(AttributeType.MAPPED_ADDRESS)).isEqualTo(CLIENT);
        assertThat(r.message().string(AttributeType.SOFTWARE)).isEqualTo("sw");
        assertThat(r.message().has(AttributeType.OTHER_ADDRESS)).isFalse();
        // CHANGE-REQUEST cannot be honoured: 420 names it.
        StunMessage refused = s.respond(binding(0x06), CLIENT, local, true).message();
        assertThat(refused.errorCode().code()).isEqualTo(ErrorCode.UNKNOWN_ATTRIBUTE);
        assertThat(refused.value(AttributeType.UNKNOWN_ATTRIBUTES)).containsExactly(0x00, 0x03);
        // An empty CHANGE-REQUEST asks for nothing and is fine.
        assertThat(s.respond(binding(0), CLIENT, local, true).message().type()).isEqualTo(StunClass.SUCCESS);
    }

    @Test
    void rfc5780AnswersFromTheRequestedAddressAndPort() throws Exception {
        BindingService s = new BindingService(new StunEndpoints(A, 3478, B, 3479), "sw");
        InetSocketAddress primary = new InetSocketAddress(A, 3478);
        BindingService.Reply plain = s.respond(binding(null), CLIENT, primary, true);
        assertThat(plain.sendFrom()).isEqualTo(primary);
        assertThat(plain.message().address(AttributeType.RESPONSE_ORIGIN)).isEqualTo(primary);
        assertThat(plain.message().address(AttributeType.OTHER_ADDRESS)).isEqualTo(new InetSocketAddress(B, 3479));

        assertThat(s.respond(binding(0x04), CLIENT, primary, true).sendFrom()).isEqualTo(new InetSocketAddress(B, 3478));
        assertThat(s.respond(binding(0x02), CLIENT, primary, true).sendFrom()).isEqualTo(new InetSocketAddress(A, 3479));
        BindingService.Reply both = s.respond(binding(0x06), CLIENT, primary, true);
        assertThat(both.sendFrom()).isEqualTo(new InetSocketAddress(B, 3479));
        assertThat(both.message().address(AttributeType.RESPONSE_ORIGIN)).isEqualTo(both.sendFrom());

        // Asked on the alternate socket, OTHER-ADDRESS is the primary one.
        InetSocketAddress alternate = new InetSocketAddress(B, 3479);
        assertThat(s.respond(binding(null), CLIENT, alternate, true).message().address(AttributeType.OTHER_ADDRESS)).isEqualTo(primary);
        assertThat(s.respond(binding(0x06), CLIENT, alternate, true).sendFrom()).isEqualTo(primary);
        // Over TCP there is no changing the source.
        assertThat(s.respond(binding(0x04), CLIENT, primary, false).message().errorCode().code()).isEqualTo(ErrorCode.BAD_REQUEST);
    }

    @Test
    void malformedOrUnknownAttributesAndNonRequests() throws Exception {
        BindingService s = new BindingService(new StunEndpoints(A, 3478, B, 3479), "sw");
        InetSocketAddress local = new InetSocketAddress(A, 3478);
        StunMessage badChange = Requests.unsigned(StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST)
                .attribute(AttributeType.CHANGE_REQUEST, new byte[2]));
        assertThat(s.respond(badChange, CLIENT, local, true).message().errorCode().code()).isEqualTo(ErrorCode.BAD_REQUEST);
        StunMessage unknown = Requests.unsigned(StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST).attribute(0x0042, new byte[4]));
        assertThat(s.respond(unknown, CLIENT, local, true).message().errorCode().code()).isEqualTo(ErrorCode.UNKNOWN_ATTRIBUTE);
        // ICE's attributes in a Binding request are understood (and ignored).
        StunMessage ice = Requests.unsigned(StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST)
                .u32(AttributeType.PRIORITY, 1).attribute(AttributeType.USE_CANDIDATE, new byte[0]));
        assertThat(s.respond(ice, CLIENT, local, true).message().type()).isEqualTo(StunClass.SUCCESS);
        assertThat(s.respond(Requests.unsigned(StunMessage.builder(StunMethod.BINDING, StunClass.INDICATION)), CLIENT, local, true)).isNull();
    }
}
