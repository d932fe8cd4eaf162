package io.kedge.agent.dns;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Encoded zone replies by the exact bytes of the query that produced them (all but the ID), for
 * the current catalog snapshot. The same bytes always get the same reply from the same snapshot,
 * so a repeated question (the common case: pods resolve the same Services again and again) is
 * answered by copying bytes and patching the ID, without parsing or building a message.
 *
 * <p>Only replies made from the zone alone are stored (not those with forwarded data, whose
 * TTLs age). An entry made from an older snapshot is a miss. The map is bounded: when full it is
 * emptied and refills with what is asked.
 */
final class ZoneReplyCache {
    /** Longer queries (large EDNS options) are not worth a key. */
    static final int MAX_QUERY_BYTES = 512;

    private final ConcurrentHashMap<Key, Entry> entries = new ConcurrentHashMap<>();
    private final int maxEntries;

    private record Entry(Object snapshot, byte[] reply, int qtype, int rcode) {
    }

    /** A cached reply with its ID already set, and what the metrics need. */
    record Hit(byte[] reply, int qtype, int rcode) {
    }

    /** Query bytes from offset 2 (after the ID), and the transport (replies differ in size limit). */
    static final class Key {
        private final byte[] bytes;
        private final boolean tcp;
        private final int hash;

        Key(byte[] bytes, boolean tcp) {
            this.bytes = bytes;
            this.tcp = tcp;
            this.hash = Arrays.hashCode(bytes) * 31 + (tcp ? 1 : 0);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && k.tcp == tcp && Arrays.equals(k.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    ZoneReplyCache(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    /** The key of a query packet, or null if it is too short or too long to be worth one. */
    static Key key(ByteBuf query, boolean tcp) {
        int length = query.readableBytes();
        if (length < 12 || length > MAX_QUERY_BYTES) {
            return null;
        }
        byte[] bytes = new byte[length - 2];
        query.getBytes(query.readerIndex() + 2, bytes);
        return new Key(bytes, tcp);
    }

    /** The reply for {@code key} made from {@code snapshot}, with the ID of {@code query}; null on a miss. */
    Hit lookup(Key key, ByteBuf query, Object snapshot) {
        Entry e = entries.get(key);
        if (e == null || e.snapshot != snapshot) {
            return null;
        }
        byte[] reply = e.reply.clone();
        reply[0] = query.getByte(query.readerIndex());
        reply[1] = query.getByte(query.readerIndex() + 1);
        return new Hit(reply, e.qtype, e.rcode);
    }

    void store(Key key, Object snapshot, byte[] reply, int qtype, int rcode) {
        if (entries.size() >= maxEntries) {
            entries.clear();
        }
        entries.put(key, new Entry(snapshot, reply, qtype, rcode));
    }

    int size() {
        return entries.size();
    }
}
