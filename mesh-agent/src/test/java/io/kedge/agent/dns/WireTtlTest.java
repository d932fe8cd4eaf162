package io.kedge.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.dns.wire.TtlClamp;
import io.kedge.agent.dns.wire.WireTtl;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class WireTtlTest {
    private static final Name WWW = Name.fromConstantString("www.example.org.");
    private static final Name HOST = Name.fromConstantString("host.example.org.");

    private static byte[] message() throws Exception {
        Message m = new Message(7);
        m.addRecord(Record.newRecord(WWW, Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(new CNAMERecord(WWW, DClass.IN, 3600, HOST), Section.ANSWER);
        m.addRecord(new ARecord(HOST, DClass.IN, 60, InetAddress.getByName("192.0.2.1")), Section.ANSWER);
        m.addRecord(new SOARecord(Name.fromConstantString("example.org."), DClass.IN, 900, HOST, HOST, 1, 2, 3, 4, 5),
                Section.AUTHORITY);
        m.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
        return m.toWire(1232);
    }

    @Test
    void agesEveryRecordAndCapsAtTheRemainingLifetimeButLeavesOptAlone() throws Exception {
        byte[] wire = message();
        assertThat(WireTtl.apply(wire, new TtlClamp(10, 50))).isTrue();
        Message m = new Message(wire);
        assertThat(m.getSection(Section.ANSWER)).extracting(Record::getTTL).containsExactly(50L, 50L);
        assertThat(m.getSection(Section.AUTHORITY)).extracting(Record::getTTL).containsExactly(50L);
        assertThat(m.getOPT().getFlags() & ExtendedFlags.DO).isNotZero();
        assertThat(m.getOPT().getPayloadSize()).isEqualTo(1232);

        byte[] aged = message();
        WireTtl.apply(aged, new TtlClamp(55, 3000));
        assertThat(new Message(aged).getSection(Section.ANSWER)).extracting(Record::getTTL).containsExactly(3000L, 5L);

        byte[] expired = message();
        WireTtl.apply(expired, new TtlClamp(100, 0));
        assertThat(new Message(expired).getSection(Section.ANSWER)).extracting(Record::getTTL).containsExactly(0L, 0L);
    }

    @Test
    void refusesBytesThatDoNotWalk() throws Exception {
        byte[] wire = message();
        byte[] cut = java.util.Arrays.copyOf(wire, wire.length - 20);
        assertThat(WireTtl.apply(cut, new TtlClamp(1, 1))).isFalse();
        assertThat(WireTtl.apply(new byte[5], new TtlClamp(1, 1))).isFalse();
    }
}
