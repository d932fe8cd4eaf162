package io.kedge.agent.dns;

import io.kedge.agent.dns.wire.WireTtl;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;

/** Encodes replies within a size limit, truncating with TC as dnsjava does, and adjusts cached TTLs. */
final class ReplyEncoding {
    private ReplyEncoding() {
    }

    /**
     * The reply's wire form, at most {@code maxSize} bytes; kept in {@code replies} when the reply
     * says it may be reused.
     */
    static byte[] encode(OutboundReply out, DnsMetrics metrics, ZoneReplyCache replies) {
        DnsReply reply = out.reply();
        byte[] wire = reply.message().toWire(out.maxReplySize());
        if (reply.ttl() != null) {
            WireTtl.apply(wire, reply.ttl());
        }
        if (wire.length >= 4 && (wire[2] & 0x02) != 0) {
            metrics.truncated();
        }
        if (out.replyKey() != null && reply.snapshot() != null && replies != null) {
            Record question = reply.message().getQuestion();
            replies.store(out.replyKey(), reply.snapshot(), wire.clone(), question == null ? -1 : question.getType(),
                    reply.message().getRcode());
        }
        return wire;
    }

    /**
     * The largest UDP reply a query's sender accepts: its EDNS payload size (never below 512), capped
     * by ours; 512 without EDNS (RFC 1035, RFC 6891).
     */
    static int udpLimit(Message query, int ourPayloadSize) {
        OPTRecord opt = query.getOPT();
        if (opt == null) {
            return 512;
        }
        return Math.max(512, Math.min(opt.getPayloadSize(), ourPayloadSize));
    }
}
