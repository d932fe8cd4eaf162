package io.kedge.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.dns.forward.ForwardedAnswer;
import io.kedge.agent.dns.forward.Question;
import io.kedge.agent.dns.forward.ResponseCache;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class ResponseCacheTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private ResponseCache cache(int entries, long stale) {
        return new ResponseCache(entries, 300, 60, stale, now::get);
    }

    private void advance(long seconds) {
        now.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
    }

    private static Question q(String name) {
        return new Question(Name.fromConstantString(name), Type.A, DClass.IN, false, false);
    }

    private static Message positive(String name, long... ttls) throws Exception {
        Message m = new Message(1);
        m.getHeader().setFlag(Flags.QR);
        m.addRecord(Record.newRecord(Name.fromConstantString(name), Type.A, DClass.IN), Section.QUESTION);
        for (int i = 0; i < ttls.length; i++) {
            m.addRecord(new ARecord(Name.fromConstantString(name), DClass.IN, ttls[i], InetAddress.getByName("192.0.2." + (i + 1))),
                    Section.ANSWER);
        }
        return m;
    }

    private static Message negative(String name, int rcode, long soaTtl, long soaMinimum) {
        Message m = new Message(1);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setRcode(rcode);
        m.addRecord(Record.newRecord(Name.fromConstantString(name), Type.A, DClass.IN), Section.QUESTION);
        if (soaTtl >= 0) {
            Name zone = Name.fromConstantString("example.org.");
            m.addRecord(new SOARecord(zone, DClass.IN, soaTtl, zone, zone, 1, 2, 3, 4, soaMinimum), Section.AUTHORITY);
        }
        return m;
    }

    @Test
    void positiveAnswersLiveForTheirSmallestTtl() throws Exception {
        ResponseCache cache = cache(100, 0);
        ForwardedAnswer stored = cache.put(q("a.example.org."), positive("a.example.org.", 120, 40));
        assertThat(stored.ttl().maxSeconds()).isEqualTo(40);
        advance(39);
        ForwardedAnswer hit = cache.fresh(q("A.Example.ORG."));
        assertThat(hit).isNotNull();
        assertThat(hit.origin()).isEqualTo(ForwardedAnswer.Origin.CACHE);
        assertThat(hit.ttl().apply(120)).isEqualTo(1);
        assertThat(hit.ttl().apply(40)).isEqualTo(1);
        advance(1);
        assertThat(cache.fresh(q("a.example.org."))).isNull();
    }

    @Test
    void lifetimeIsCappedAndZeroTtlIsNotCached() throws Exception {
        ResponseCache cache = cache(100, 0);
        assertThat(cache.put(q("long.example.org."), positive("long.example.org.", 86400)).ttl().maxSeconds()).isEqualTo(300);
        advance(299);
        assertThat(cache.fresh(q("long.example.org."))).isNotNull();
        advance(1);
        assertThat(cache.fresh(q("long.example.org."))).isNull();
        cache.put(q("zero.example.org."), positive("zero.example.org.", 0));
        assertThat(cache.fresh(q("zero.example.org."))).isNull();
    }

    @Test
    void negativeAnswersFollowTheSoaMinimumCapped() {
        ResponseCache cache = cache(100, 0);
        cache.put(q("nx.example.org."), negative("nx.example.org.", Rcode.NXDOMAIN, 3600, 20));
        cache.put(q("nodata.example.org."), negative("nodata.example.org.", Rcode.NOERROR, 15, 3600));
        cache.put(q("capped.example.org."), negative("capped.example.org.", Rcode.NXDOMAIN, 3600, 3600));
        cache.put(q("nosoa.example.org."), negative("nosoa.example.org.", Rcode.NXDOMAIN, -1, 0));
        cache.put(q("fail.example.org."), negative("fail.example.org.", Rcode.SERVFAIL, 3600, 3600));
        advance(14);
        assertThat(cache.fresh(q("nx.example.org.")).rcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(cache.fresh(q("nodata.example.org."))).isNotNull();
        assertThat(cache.fresh(q("nosoa.example.org."))).isNull();
        assertThat(cache.fresh(q("fail.example.org."))).isNull();
        advance(1);
        assertThat(cache.fresh(q("nodata.example.org."))).isNull();
        advance(5);
        assertThat(cache.fresh(q("nx.example.org."))).isNull();
        advance(39);
        assertThat(cache.fresh(q("capped.example.org."))).isNotNull();
        advance(1);
        assertThat(cache.fresh(q("capped.example.org."))).isNull();
    }

    @Test
    void leastRecentlyUsedEntriesGoFirst() throws Exception {
        ResponseCache cache = cache(2, 0);
        cache.put(q("one.example.org."), positive("one.example.org.", 60));
        cache.put(q("two.example.org."), positive("two.example.org.", 60));
        assertThat(cache.fresh(q("one.example.org."))).isNotNull();
        cache.put(q("three.example.org."), positive("three.example.org.", 60));
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.fresh(q("two.example.org."))).isNull();
        assertThat(cache.fresh(q("one.example.org."))).isNotNull();
        assertThat(cache.fresh(q("three.example.org."))).isNotNull();
    }

    @Test
    void sizeStaysWithinTheBoundUnderManyNames() throws Exception {
        ResponseCache cache = cache(1000, 0);
        for (int i = 0; i < 20_000; i++) {
            cache.put(q("n" + i + ".example.org."), positive("n" + i + ".example.org.", 60));
        }
        assertThat(cache.size()).isEqualTo(1000);
    }

    @Test
    void expiredAnswersAreServedStaleWithinTheWindowOnly() throws Exception {
        ResponseCache cache = cache(100, 600);
        cache.put(q("s.example.org."), positive("s.example.org.", 60));
        advance(100);
        assertThat(cache.fresh(q("s.example.org."))).isNull();
        ResponseCache.Hit hit = cache.stale(q("s.example.org."));
        assertThat(hit.stale()).isTrue();
        assertThat(hit.answer().origin()).isEqualTo(ForwardedAnswer.Origin.STALE);
        assertThat(hit.answer().ttl().apply(60)).isEqualTo(ResponseCache.STALE_TTL_SECONDS);
        advance(560);
        assertThat(cache.stale(q("s.example.org."))).isNull();
        assertThat(cache.size()).isZero();
    }

    @Test
    void dnssecOkIsPartOfTheKey() throws Exception {
        ResponseCache cache = cache(100, 0);
        cache.put(q("k.example.org."), positive("k.example.org.", 60));
        assertThat(cache.fresh(new Question(Name.fromConstantString("k.example.org."), Type.A, DClass.IN, true, false))).isNull();
        assertThat(cache.fresh(new Question(Name.fromConstantString("k.example.org."), Type.AAAA, DClass.IN, false, false))).isNull();
    }

    @Test
    void zeroEntriesCachesNothing() throws Exception {
        ResponseCache cache = cache(0, 600);
        cache.put(q("a.example.org."), positive("a.example.org.", 60));
        assertThat(cache.fresh(q("a.example.org."))).isNull();
        assertThat(cache.stale(q("a.example.org."))).isNull();
    }
}
