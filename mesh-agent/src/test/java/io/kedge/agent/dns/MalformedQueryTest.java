package io.kedge.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.dns.wire.QueryParser;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Bad packets: each gets a small error reply with its ID, or no reply at all; nothing escapes. */
class MalformedQueryTest {
    private static final DnsMetrics METRICS = new DnsMetrics(new PrometheusRegistry());
    private final QueryResolver resolver = ZoneAnswersTest.resolver(new AtomicReference<>(TestCatalogs.standard("db.example.org")));

    private static QueryParser.Parsed parse(byte[] packet) {
        return QueryParser.parse(ByteBuffer.wrap(packet));
    }

    private static byte[] valid(String name, int type) {
        return ZoneAnswersTest.query(name, type).toWire();
    }

    private static Message rejection(byte[] packet) throws Exception {
        QueryParser.Parsed p = parse(packet);
        assertThat(p).isInstanceOf(QueryParser.Rejected.class);
        byte[] wire = ((QueryParser.Rejected) p).reply().toWire(512);
        // No amplification: the error reply is never larger than the query that caused it, plus its OPT.
        assertThat(wire.length).isLessThanOrEqualTo(Math.max(12, packet.length) + 11);
        return new Message(wire);
    }

    @Test
    void shorterThanAHeaderIsDropped() {
        assertThat(parse(new byte[0])).isInstanceOf(QueryParser.Dropped.class);
        assertThat(parse(new byte[11])).isInstanceOf(QueryParser.Dropped.class);
    }

    @Test
    void responsesAreDropped() {
        byte[] packet = valid("web.default.svc.cluster.local.", Type.A);
        packet[2] |= (byte) 0x80;
        assertThat(parse(packet)).isInstanceOf(QueryParser.Dropped.class);
    }

    @Test
    void unsupportedOpcodesAreNotImplemented() throws Exception {
        for (int opcode : new int[] {Opcode.IQUERY, Opcode.STATUS, Opcode.NOTIFY, Opcode.UPDATE}) {
            byte[] packet = valid("web.default.svc.cluster.local.", Type.A);
            packet[2] = (byte) ((packet[2] & 0x87) | (opcode << 3));
            Message reply = rejection(packet);
            assertThat(reply.getRcode()).isEqualTo(Rcode.NOTIMP);
            assertThat(reply.getHeader().getOpcode()).isEqualTo(opcode);
            assertThat(reply.getHeader().getID()).isEqualTo(((packet[0] & 0xFF) << 8) | (packet[1] & 0xFF));
        }
    }

    @Test
    void questionCountOtherThanOneIsFormErr() throws Exception {
        byte[] none = new byte[12];
        none[0] = 0x12;
        none[1] = 0x34;
        Message reply = rejection(none);
        assertThat(reply.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(reply.getHeader().getID()).isEqualTo(0x1234);

        byte[] two = valid("web.default.svc.cluster.local.", Type.A);
        two[5] = 2;
        assertThat(rejection(two).getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void countsThePacketCannotHoldAreFormErrWithoutParsing() throws Exception {
        byte[] packet = valid("web.default.svc.cluster.local.", Type.A);
        for (int at : new int[] {6, 8, 10}) {
            byte[] huge = packet.clone();
            huge[at] = (byte) 0xFF;
            huge[at + 1] = (byte) 0xFF;
            assertThat(rejection(huge).getRcode()).isEqualTo(Rcode.FORMERR);
        }
    }

    @Test
    void aQueryLongerThanTheLimitIsFormErrEvenWithAValidStart() throws Exception {
        byte[] query = valid("web.default.svc.cluster.local.", Type.A);
        byte[] padded = java.util.Arrays.copyOf(query, 101);
        int id = new Message(query).getHeader().getID();
        assertThat(QueryParser.parse(ByteBuffer.wrap(padded), 100)).isInstanceOfSatisfying(QueryParser.Rejected.class, r -> {
            assertThat(r.reason()).isEqualTo("oversized");
            assertThat(r.reply().getRcode()).isEqualTo(Rcode.FORMERR);
            assertThat(r.reply().getHeader().getID()).isEqualTo(id);
        });
        // At the limit it is parsed as usual (dnsjava reads the query and leaves the padding).
        assertThat(QueryParser.parse(ByteBuffer.wrap(java.util.Arrays.copyOf(query, 100)), 100)).isInstanceOf(QueryParser.Query.class);
    }

    @Test
    void badLabelsAndCompressionLoopsAreFormErr() throws Exception {
        byte[] header = {0x55, 0x66, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
        // A label length running past the end of the packet.
        assertThat(rejection(concat(header, new byte[] {63, 'a', 'b', 0, 0, 1, 0, 1})).getRcode()).isEqualTo(Rcode.FORMERR);
        // Label type 0b01 / 0b10 (reserved).
        assertThat(rejection(concat(header, new byte[] {0x41, 'a', 0, 0, 1, 0, 1})).getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(rejection(concat(header, new byte[] {(byte) 0x81, 'a', 0, 0, 1, 0, 1})).getRcode()).isEqualTo(Rcode.FORMERR);
        // A compression pointer to itself, and two pointing at each other.
        assertThat(rejection(concat(header, new byte[] {(byte) 0xC0, 12, 0, 1, 0, 1})).getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(rejection(concat(header, new byte[] {1, 'a', (byte) 0xC0, 16, (byte) 0xC0, 14, 0, 1, 0, 1})).getRcode())
                .isEqualTo(Rcode.FORMERR);
        // A name longer than 255 bytes.
        byte[] longName = new byte[5 * 64 + 5];
        for (int i = 0; i < 5; i++) {
            longName[i * 64] = 63;
            for (int j = 1; j < 64; j++) {
                longName[i * 64 + j] = 'a';
            }
        }
        longName[320] = 0;
        longName[322] = 1;
        longName[324] = 1;
        assertThat(rejection(concat(header, longName)).getRcode()).isEqualTo(Rcode.FORMERR);
        // The question cut short.
        byte[] cut = valid("web.default.svc.cluster.local.", Type.A);
        assertThat(rejection(java.util.Arrays.copyOf(cut, cut.length - 3)).getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void twoOptRecordsAreFormErrAndUnknownEdnsVersionIsBadVers() throws Exception {
        Message q = ZoneAnswersTest.query("web.default.svc.cluster.local.", Type.A);
        q.addRecord(new OPTRecord(1232, 0, 0, 0), Section.ADDITIONAL);
        q.addRecord(new OPTRecord(1232, 0, 0, 0), Section.ADDITIONAL);
        assertThat(rejection(q.toWire()).getRcode()).isEqualTo(Rcode.FORMERR);

        Message v1 = ZoneAnswersTest.query("web.default.svc.cluster.local.", Type.A);
        v1.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
        Message reply = rejection(v1.toWire());
        assertThat(reply.getRcode()).isEqualTo(Rcode.BADVERS);
        assertThat(reply.getOPT()).isNotNull();
        assertThat(reply.getHeader().getID()).isEqualTo(v1.getHeader().getID());
    }

    @Test
    void udpRepliesFitTheClientsSizeAndAreTruncatedWithTc() throws Exception {
        // 60 endpoints: about 1 kB of A records.
        Message plain = ZoneAnswersTest.query("wide.default.svc.cluster.local.", Type.A);
        byte[] small = encode(plain, ReplyEncoding.udpLimit(plain, 1232));
        assertThat(small.length).isLessThanOrEqualTo(512);
        Message truncated = new Message(small);
        assertThat(truncated.getHeader().getFlag(org.xbill.DNS.Flags.TC)).isTrue();
        assertThat(truncated.getSection(Section.ANSWER).size()).isLessThan(60);

        Message edns = ZoneAnswersTest.query("wide.default.svc.cluster.local.", Type.A);
        edns.addRecord(new OPTRecord(4096, 0, 0, 0), Section.ADDITIONAL);
        assertThat(ReplyEncoding.udpLimit(edns, 1232)).isEqualTo(1232);
        Message full = new Message(encode(edns, ReplyEncoding.udpLimit(edns, 1232)));
        assertThat(full.getHeader().getFlag(org.xbill.DNS.Flags.TC)).isFalse();
        assertThat(full.getSection(Section.ANSWER)).hasSize(60);

        Message tiny = ZoneAnswersTest.query("wide.default.svc.cluster.local.", Type.A);
        tiny.addRecord(new OPTRecord(100, 0, 0, 0), Section.ADDITIONAL);
        assertThat(ReplyEncoding.udpLimit(tiny, 1232)).isEqualTo(512);
    }

    private byte[] encode(Message query, int limit) {
        DnsReply reply = resolver.resolve(query).join();
        return ReplyEncoding.encode(new OutboundReply(reply, null, limit, null), METRICS, null);
    }

    /**
     * Thousands of random packets, and valid queries with random bytes flipped, through parser,
     * resolver and encoder: no exception escapes, every reply fits 512 bytes, and error replies to
     * junk are no bigger than the junk.
     */
    @Test
    void fuzzedPacketsNeverEscapeAndGetSmallReplies() throws Exception {
        Random random = new Random(20240611L);
        byte[][] seeds = {valid("web.default.svc.cluster.local.", Type.A), valid("_postgres._tcp.db.data.svc.cluster.local.", Type.SRV),
                valid("wide.default.svc.cluster.local.", Type.A), valid("10.0.18.198.in-addr.arpa.", Type.PTR)};
        int queries = 0;
        int rejected = 0;
        int dropped = 0;
        for (int i = 0; i < 5000; i++) {
            byte[] packet;
            if (i % 2 == 0) {
                packet = new byte[random.nextInt(600)];
                random.nextBytes(packet);
                if (packet.length > 2) {
                    packet[2] &= 0x7F; // mostly queries, so the parser gets past the QR check
                }
            } else {
                packet = seeds[random.nextInt(seeds.length)].clone();
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    packet[random.nextInt(packet.length)] = (byte) random.nextInt(256);
                }
            }
            QueryParser.Parsed parsed = parse(packet);
            if (parsed instanceof QueryParser.Query q) {
                queries++;
                assertThat(q.message().getQuestion()).as("question of %s", java.util.HexFormat.of().formatHex(packet)).isNotNull();
                byte[] wire = encode(q.message(), ReplyEncoding.udpLimit(q.message(), 1232));
                assertThat(wire.length).isLessThanOrEqualTo(ReplyEncoding.udpLimit(q.message(), 1232));
                assertThat(new Message(wire).getHeader().getID()).isEqualTo(q.message().getHeader().getID());
            } else if (parsed instanceof QueryParser.Rejected r) {
                rejected++;
                byte[] wire = r.reply().toWire(512);
                assertThat(wire.length).isLessThanOrEqualTo(Math.max(12, packet.length) + 11);
            } else {
                dropped++;
            }
        }
        // The corpus exercised every path.
        assertThat(queries).isGreaterThan(50);
        assertThat(rejected).isGreaterThan(50);
        assertThat(dropped).isGreaterThan(50);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

}
