package io.kedge.agent.dns.wire;

import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;

/** Small replies built without a parsed query. */
public final class Replies {
    /** EDNS payload size stated in error replies (they are tiny; the value only tells the client ours). */
    static final int PAYLOAD_FOR_ERRORS = 512;

    private Replies() {
    }

    /** A header-only reply: the query's ID, opcode and RD flag echoed, QR set, {@code rcode}. */
    public static Message error(int id, int opcode, boolean recursionDesired, int rcode) {
        Message reply = new Message(id);
        reply.getHeader().setFlag(Flags.QR);
        reply.getHeader().setOpcode(opcode);
        if (recursionDesired) {
            reply.getHeader().setFlag(Flags.RD);
        }
        reply.getHeader().setRcode(rcode);
        return reply;
    }
}
