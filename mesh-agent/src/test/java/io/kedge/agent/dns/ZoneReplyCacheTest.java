package io.kedge.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

class ZoneReplyCacheTest {
    private static ByteBuf packet(int id, String name) {
        Message q = ZoneAnswersTest.query(name, Type.A);
        q.getHeader().setID(id);
        return Unpooled.wrappedBuffer(q.toWire());
    }

    @Test
    void hitsOnlyForTheSameBytesTransportAndSnapshotWithTheNewId() {
        ZoneReplyCache cache = new ZoneReplyCache(10);
        Object snapshot = new Object();
        ByteBuf first = packet(1, "web.default.svc.cluster.local.");
        byte[] reply = {0, 1, (byte) 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0, 42};
        cache.store(ZoneReplyCache.key(first, false), snapshot, reply, Type.A, 0);

        ByteBuf again = packet(0x2345, "web.default.svc.cluster.local.");
        ZoneReplyCache.Hit hit = cache.lookup(ZoneReplyCache.key(again, false), again, snapshot);
        assertThat(hit).isNotNull();
        assertThat(hit.reply()[0]).isEqualTo((byte) 0x23);
        assertThat(hit.reply()[1]).isEqualTo((byte) 0x45);
        assertThat(hit.reply()[12]).isEqualTo((byte) 42);
        assertThat(reply[0]).as("the stored reply is not modified").isZero();

        assertThat(cache.lookup(ZoneReplyCache.key(again, true), again, snapshot)).as("other transport").isNull();
        assertThat(cache.lookup(ZoneReplyCache.key(again, false), again, new Object())).as("newer snapshot").isNull();
        ByteBuf otherCase = packet(7, "WEB.default.svc.cluster.local.");
        assertThat(cache.lookup(ZoneReplyCache.key(otherCase, false), otherCase, snapshot)).as("other spelling").isNull();
    }

    @Test
    void staysBounded() {
        ZoneReplyCache cache = new ZoneReplyCache(100);
        Object snapshot = new Object();
        for (int i = 0; i < 1000; i++) {
            ByteBuf p = packet(i, "n" + i + ".default.svc.cluster.local.");
            cache.store(ZoneReplyCache.key(p, false), snapshot, new byte[12], Type.A, 0);
            assertThat(cache.size()).isLessThanOrEqualTo(100);
        }
        assertThat(ZoneReplyCache.key(Unpooled.wrappedBuffer(new byte[11]), false)).isNull();
        assertThat(ZoneReplyCache.key(Unpooled.wrappedBuffer(new byte[ZoneReplyCache.MAX_QUERY_BYTES + 1]), false)).isNull();
    }
}
