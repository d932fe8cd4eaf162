package io.kedge.agent.dns;

import io.kedge.agent.dns.forward.ForwardedAnswer;
import io.kedge.agent.dns.forward.Forwarder;
import io.kedge.agent.dns.forward.Question;
import io.kedge.agent.dns.zone.ClusterZone;
import io.kedge.agent.dns.zone.ZoneAnswer;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Decides how a well-formed query is answered: from the cluster zone, from the zone's reverse
 * names, or through the {@link Forwarder}; and builds the reply (ID, flags, question as asked,
 * EDNS). Queries that the server does not serve get an error here: zone transfers REFUSED,
 * meta-types FORMERR, non-IN classes in the zone REFUSED.
 */
public final class QueryResolver {
    private final ClusterZone zone;
    private final Forwarder forwarder;
    private final int payloadSize;

    /**
     * @param zone        the cluster zone
     * @param forwarder   resolves other names
     * @param payloadSize EDNS payload size stated in replies to EDNS clients
     */
    public QueryResolver(ClusterZone zone, Forwarder forwarder, int payloadSize) {
        this.zone = zone;
        this.forwarder = forwarder;
        this.payloadSize = payloadSize;
    }

    /** The reply to {@code query} (a standard query with one question); completes normally. */
    public CompletableFuture<DnsReply> resolve(Message query) {
        Record question = query.getQuestion();
        Name qname = question.getName();
        int qtype = question.getType();
        int qclass = question.getDClass();
        OPTRecord opt = query.getOPT();
        boolean dnssecOk = opt != null && (opt.getFlags() & ExtendedFlags.DO) != 0;
        Message reply = replyTo(query, opt, dnssecOk);

        if (qtype == Type.AXFR || qtype == Type.IXFR) {
            return local(reply, Rcode.REFUSED);
        }
        if (qtype == Type.OPT || qtype == Type.TSIG || qtype == Type.TKEY || qtype == Type.MAILA || qtype == Type.MAILB) {
            return local(reply, qtype == Type.MAILA || qtype == Type.MAILB ? Rcode.NOTIMP : Rcode.FORMERR);
        }
        if (zone.contains(qname)) {
            if (qclass != DClass.IN && qclass != DClass.ANY) {
                return local(reply, Rcode.REFUSED);
            }
            return fromZone(reply, qname, qtype, dnssecOk);
        }
        if (qtype == Type.PTR && qclass == DClass.IN) {
            ZoneAnswer ptrs = zone.pointers(qname);
            if (!ptrs.answer().isEmpty()) {
                reply.getHeader().setFlag(Flags.AA);
                ptrs.answer().forEach(r -> reply.addRecord(r, Section.ANSWER));
                return CompletableFuture.completedFuture(new DnsReply(reply, null, DnsMetrics.Source.ZONE, ptrs.snapshot()));
            }
        }
        boolean cd = query.getHeader().getFlag(Flags.CD);
        boolean wantsAd = dnssecOk || query.getHeader().getFlag(Flags.AD);
        return forwarder.forward(new Question(qname, qtype, qclass, dnssecOk, cd)).thenApply(answer -> {
            fill(reply, answer, wantsAd);
            reply.getHeader().setRcode(answer.rcode());
            return new DnsReply(reply, answer.ttl(), DnsMetrics.Source.FORWARDED);
        });
    }

    private CompletableFuture<DnsReply> fromZone(Message reply, Name qname, int qtype, boolean dnssecOk) {
        ZoneAnswer za = zone.answer(qname, qtype);
        reply.getHeader().setFlag(Flags.AA);
        reply.getHeader().setRcode(za.rcode());
        za.answer().forEach(r -> reply.addRecord(r, Section.ANSWER));
        za.authority().forEach(r -> reply.addRecord(r, Section.AUTHORITY));
        za.additional().forEach(r -> reply.addRecord(r, Section.ADDITIONAL));
        if (za.chaseOutside() == null) {
            return CompletableFuture.completedFuture(new DnsReply(reply, null, DnsMetrics.Source.ZONE, za.snapshot()));
        }
        // An ExternalName Service: like CoreDNS, add what the target resolves to when upstream knows.
        return forwarder.forward(new Question(za.chaseOutside(), qtype, DClass.IN, dnssecOk, false)).thenApply(answer -> {
            if (answer.rcode() == Rcode.NOERROR || answer.rcode() == Rcode.NXDOMAIN) {
                answer.answer().forEach(r -> reply.addRecord(r, Section.ANSWER));
                // RFC 6604: the rcode describes the last name of the chain.
                reply.getHeader().setRcode(answer.rcode());
                if (answer.answer().isEmpty()) {
                    answer.authority().forEach(r -> reply.addRecord(r, Section.AUTHORITY));
                }
                return new DnsReply(reply, answer.ttl(), DnsMetrics.Source.ZONE);
            }
            return new DnsReply(reply, null, DnsMetrics.Source.ZONE);
        });
    }

    private static void fill(Message reply, ForwardedAnswer answer, boolean wantsAd) {
        if (answer.authenticData() && wantsAd) {
            reply.getHeader().setFlag(Flags.AD);
        }
        answer.answer().forEach(r -> reply.addRecord(r, Section.ANSWER));
        answer.authority().forEach(r -> reply.addRecord(r, Section.AUTHORITY));
        answer.additional().forEach(r -> reply.addRecord(r, Section.ADDITIONAL));
    }

    private static CompletableFuture<DnsReply> local(Message reply, int rcode) {
        reply.getHeader().setRcode(rcode);
        return CompletableFuture.completedFuture(new DnsReply(reply, null, DnsMetrics.Source.LOCAL));
    }

    /** The reply skeleton: ID, RD and CD echoed, RA (we recurse through upstreams), the question as asked, EDNS if the client used it. */
    private Message replyTo(Message query, OPTRecord opt, boolean dnssecOk) {
        Message reply = new Message(query.getHeader().getID());
        reply.getHeader().setFlag(Flags.QR);
        reply.getHeader().setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD)) {
            reply.getHeader().setFlag(Flags.RD);
        }
        if (query.getHeader().getFlag(Flags.CD)) {
            reply.getHeader().setFlag(Flags.CD);
        }
        reply.addRecord(query.getQuestion(), Section.QUESTION);
        if (opt != null) {
            reply.addRecord(new OPTRecord(payloadSize, 0, 0, dnssecOk ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        }
        return reply;
    }
}
