package io.kedge.agent.dns.wire;

import java.nio.ByteBuffer;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * Turns the bytes of one incoming datagram or TCP frame into a query, an error reply, or nothing.
 * Cheap checks on the raw header come first, so junk is answered (or dropped) without building a
 * message, and counts that the packet cannot possibly hold never reach the parser (which would size
 * its lists by them).
 */
public final class QueryParser {
    /** The smallest a question can be: the root name (1 byte), type and class. */
    private static final int MIN_QUESTION_BYTES = 5;
    /** The smallest a resource record can be: root name, type, class, TTL, RDLENGTH. */
    private static final int MIN_RECORD_BYTES = 11;

    private QueryParser() {
    }

    /** What became of a packet. */
    public sealed interface Parsed permits Query, Rejected, Dropped {
    }

    /** A well-formed standard query with exactly one question. */
    public record Query(Message message) implements Parsed {
    }

    /**
     * A packet answered with an error at once: {@code reply} is a complete message (header, and the
     * question and OPT record where they could be read), never larger than a few dozen bytes.
     */
    public record Rejected(Message reply, String reason) implements Parsed {
    }

    /** A packet that gets no answer at all: too short for a header, or itself a response. */
    public record Dropped(String reason) implements Parsed {
    }

    public static Parsed parse(ByteBuffer packet) {
        return parse(packet, Integer.MAX_VALUE);
    }

    /**
     * As {@link #parse(ByteBuffer)}, and a query longer than {@code maxLength} bytes (a datagram read
     * into a buffer one byte longer, so that a cut one shows) is answered FORMERR without parsing.
     */
    public static Parsed parse(ByteBuffer packet, int maxLength) {
        int length = packet.remaining();
        if (length < Header.LENGTH) {
            return new Dropped("short");
        }
        int base = packet.position();
        int id = u16(packet, base);
        int flags = u16(packet, base + 2);
        if ((flags & 0x8000) != 0) {
            // Answering responses could start a loop between two servers that both answer junk.
            return new Dropped("response");
        }
        int opcode = (flags >> 11) & 0xF;
        boolean rd = (flags & 0x0100) != 0;
        if (opcode != Opcode.QUERY) {
            return new Rejected(Replies.error(id, opcode, rd, Rcode.NOTIMP), "opcode");
        }
        if (length > maxLength) {
            return new Rejected(Replies.error(id, opcode, rd, Rcode.FORMERR), "oversized");
        }
        int qd = u16(packet, base + 4);
        long records = (long) u16(packet, base + 6) + u16(packet, base + 8) + u16(packet, base + 10);
        if (qd != 1) {
            return new Rejected(Replies.error(id, opcode, rd, Rcode.FORMERR), "questions");
        }
        if (Header.LENGTH + MIN_QUESTION_BYTES + records * MIN_RECORD_BYTES > length) {
            return new Rejected(Replies.error(id, opcode, rd, Rcode.FORMERR), "counts");
        }
        Message message;
        try {
            message = new Message(packet.duplicate());
        } catch (Exception e) {
            // dnsjava signals bad wire data with WireParseException, but an unexpected runtime
            // exception on hostile input must not escape either: the packet is malformed all the same.
            return new Rejected(Replies.error(id, opcode, rd, Rcode.FORMERR), "malformed");
        }
        // dnsjava keeps a partial message (and lowers its counts) when the TC flag is set and
        // parsing fails; a query must be whole.
        for (int section = Section.QUESTION; section <= Section.ADDITIONAL; section++) {
            if (message.getSection(section).size() != u16(packet, base + 4 + 2 * section)) {
                return new Rejected(Replies.error(id, opcode, rd, Rcode.FORMERR), "malformed");
            }
        }
        OPTRecord opt = null;
        for (Record r : message.getSection(Section.ADDITIONAL)) {
            if (r instanceof OPTRecord o) {
                if (opt != null) {
                    return new Rejected(Replies.error(id, opcode, rd, Rcode.FORMERR), "opt");
                }
                opt = o;
            }
        }
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY}) {
            for (Record r : message.getSection(section)) {
                if (r instanceof OPTRecord) {
                    return new Rejected(Replies.error(id, opcode, rd, Rcode.FORMERR), "opt");
                }
            }
        }
        if (opt != null && opt.getVersion() != 0) {
            Message reply = Replies.error(id, opcode, rd, Rcode.BADVERS & 0xF);
            reply.addRecord(message.getQuestion(), Section.QUESTION);
            reply.addRecord(new OPTRecord(Replies.PAYLOAD_FOR_ERRORS, Rcode.BADVERS >> 4, 0,
                    opt.getFlags() & ExtendedFlags.DO), Section.ADDITIONAL);
            return new Rejected(reply, "badvers");
        }
        return new Query(message);
    }

    private static int u16(ByteBuffer b, int at) {
        return ((b.get(at) & 0xFF) << 8) | (b.get(at + 1) & 0xFF);
    }
}
