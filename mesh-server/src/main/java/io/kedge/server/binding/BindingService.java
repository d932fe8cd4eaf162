package io.kedge.server.binding;

import io.kedge.server.stun.AttributeType;
import io.kedge.server.stun.ErrorCode;
import io.kedge.server.stun.StunClass;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.stun.StunMethod;
import io.kedge.server.stun.StunParseException;
import java.net.InetSocketAddress;

/**
 * STUN Binding (RFC 8489): tells a client the address its request came from, in
 * XOR-MAPPED-ADDRESS. With an alternate endpoint configured it also implements the NAT behaviour
 * discovery attributes of RFC 5780: OTHER-ADDRESS, RESPONSE-ORIGIN and CHANGE-REQUEST.
 * No credentials: the answer reveals nothing the client's own packet did not.
 */
public final class BindingService {
    private static final int CHANGE_IP = 0x04;
    private static final int CHANGE_PORT = 0x02;

    /** The answer and the local socket address it must be sent from. */
    public record Reply(StunMessage message, InetSocketAddress sendFrom) {
    }

    private final StunEndpoints endpoints;
    private final String software;

    public BindingService(StunEndpoints endpoints, String software) {
        this.endpoints = endpoints;
        this.software = software;
    }

    public StunEndpoints endpoints() {
        return endpoints;
    }

    /**
     * Answers a Binding request that arrived at {@code local} from {@code client}; null for anything
     * that gets no answer (indications, responses).
     */
    public Reply respond(StunMessage request, InetSocketAddress client, InetSocketAddress local, boolean datagram) {
        if (request.method() != StunMethod.BINDING || request.type() != StunClass.REQUEST) {
            return null;
        }
        int[] unknown = request.unknownComprehensionRequired();
        if (unknown.length > 0) {
            return new Reply(withSoftware(StunMessage.errorFor(request, ErrorCode.UNKNOWN_ATTRIBUTE,
                    ErrorCode.reason(ErrorCode.UNKNOWN_ATTRIBUTE)).unknownAttributes(unknown)), local);
        }
        int flags;
        try {
            Long change = request.u32(AttributeType.CHANGE_REQUEST);
            flags = change == null ? 0 : (int) (change & (CHANGE_IP | CHANGE_PORT));
        } catch (StunParseException e) {
            return new Reply(withSoftware(StunMessage.errorFor(request, ErrorCode.BAD_REQUEST, e.getMessage())), local);
        }
        if (flags != 0 && !endpoints.behaviourDiscovery()) {
            // Without a second address there is nowhere else to answer from (RFC 5780 section 6.1).
            return new Reply(withSoftware(StunMessage.errorFor(request, ErrorCode.UNKNOWN_ATTRIBUTE, "CHANGE-REQUEST is not supported")
                    .unknownAttributes(new int[] {AttributeType.CHANGE_REQUEST})), local);
        }
        if (flags != 0 && !datagram) {
            return new Reply(withSoftware(StunMessage.errorFor(request, ErrorCode.BAD_REQUEST, "CHANGE-REQUEST needs UDP")), local);
        }
        // MAPPED-ADDRESS too: RFC 5780 tools and older clients still read it.
        StunMessage.Builder answer = StunMessage.successFor(request).xorAddress(AttributeType.XOR_MAPPED_ADDRESS, client)
                .address(AttributeType.MAPPED_ADDRESS, client);
        InetSocketAddress from = local;
        if (endpoints.behaviourDiscovery()) {
            from = endpoints.changed(local, (flags & CHANGE_IP) != 0, (flags & CHANGE_PORT) != 0);
            answer.address(AttributeType.RESPONSE_ORIGIN, from)
                    .address(AttributeType.OTHER_ADDRESS, endpoints.changed(local, true, true));
        }
        return new Reply(withSoftware(answer), from);
    }

    private StunMessage withSoftware(StunMessage.Builder b) {
        return b.string(AttributeType.SOFTWARE, software).build();
    }
}
