package io.kedge.agent.dns.forward;

import io.kedge.agent.dns.wire.TtlClamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;

/**
 * Upstream answers by question, for as long as their TTLs allow (capped), with negative answers
 * cached as RFC 2308 says (the SOA's TTL and minimum, capped), bounded in entries with least recently
 * used eviction. Expired answers are kept a while longer (bounded by the same entry limit) so that
 * they can be served when every upstream fails (RFC 8767).
 *
 * <p>Segments, each an access-ordered map under its own lock, keep event-loop threads from
 * contending on one lock; small caches use one segment so their LRU order is exact.
 */
public final class ResponseCache {
    /** TTL given to stale answers (RFC 8767 suggests 30 s). */
    public static final long STALE_TTL_SECONDS = 30;
    private static final int MAX_SEGMENTS = 16;
    private static final int MIN_ENTRIES_PER_SEGMENT = 64;

    private final long maxTtlSeconds;
    private final long maxNegativeTtlSeconds;
    private final long staleNanos;
    private final LongSupplier nanoClock;
    private final Segment[] segments;

    /** One cached answer. */
    record Entry(int rcode, boolean authenticData, List<Record> answer, List<Record> authority, List<Record> additional,
                 long storedNanos, long lifetimeSeconds) {
        long expiresNanos() {
            return storedNanos + TimeUnit.SECONDS.toNanos(lifetimeSeconds);
        }
    }

    /** A cache lookup's result: the answer, and whether it is past its lifetime. */
    public record Hit(ForwardedAnswer answer, boolean stale) {
    }

    private static final class Segment extends LinkedHashMap<Question, Entry> {
        private final int max;

        Segment(int max) {
            super(16, 0.75f, true);
            this.max = max;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<Question, Entry> eldest) {
            return size() > max;
        }
    }

    /**
     * @param maxEntries            bound on entries (0: nothing is cached)
     * @param maxTtlSeconds         cap on a positive answer's lifetime
     * @param maxNegativeTtlSeconds cap on a negative answer's lifetime
     * @param serveStaleSeconds     how long past its lifetime an answer is kept for {@link #stale}
     * @param nanoClock             monotonic time ({@link System#nanoTime} outside tests)
     */
    public ResponseCache(int maxEntries, long maxTtlSeconds, long maxNegativeTtlSeconds, long serveStaleSeconds,
                         LongSupplier nanoClock) {
        this.maxTtlSeconds = maxTtlSeconds;
        this.maxNegativeTtlSeconds = maxNegativeTtlSeconds;
        this.staleNanos = TimeUnit.SECONDS.toNanos(serveStaleSeconds);
        this.nanoClock = nanoClock;
        int count = maxEntries <= 0 ? 0 : Math.max(1, Math.min(MAX_SEGMENTS, maxEntries / MIN_ENTRIES_PER_SEGMENT));
        this.segments = new Segment[count];
        for (int i = 0; i < count; i++) {
            // The first segments take the remainder, so the total bound is exact.
            segments[i] = new Segment(maxEntries / count + (i < maxEntries % count ? 1 : 0));
        }
    }

    /** A fresh answer for {@code q}, or null. */
    public ForwardedAnswer fresh(Question q) {
        Hit hit = lookup(q, false);
        return hit == null ? null : hit.answer();
    }

    /** An answer for {@code q} even if expired (within the serve-stale window), or null. */
    public Hit stale(Question q) {
        return lookup(q, true);
    }

    private Hit lookup(Question q, boolean allowStale) {
        if (segments.length == 0) {
            return null;
        }
        Segment segment = segment(q);
        long now = nanoClock.getAsLong();
        Entry e;
        synchronized (segment) {
            e = segment.get(q);
            if (e != null && now - e.expiresNanos() >= staleNanos) {
                segment.remove(q);
                e = null;
            }
        }
        if (e == null) {
            return null;
        }
        long elapsed = TimeUnit.NANOSECONDS.toSeconds(now - e.storedNanos());
        boolean stale = now - e.expiresNanos() >= 0;
        if (stale && !allowStale) {
            return null;
        }
        TtlClamp ttl = stale ? new TtlClamp(0, STALE_TTL_SECONDS) : new TtlClamp(elapsed, e.lifetimeSeconds() - elapsed);
        ForwardedAnswer.Origin origin = stale ? ForwardedAnswer.Origin.STALE : ForwardedAnswer.Origin.CACHE;
        return new Hit(new ForwardedAnswer(e.rcode(), e.authenticData(), e.answer(), e.authority(), e.additional(), ttl, origin),
                stale);
    }

    /**
     * Stores an upstream response (if it may be cached) and returns it as an answer: TTLs capped at
     * the lifetime it is cached for.
     */
    public ForwardedAnswer put(Question q, Message response) {
        int rcode = response.getRcode();
        List<Record> answer = response.getSection(Section.ANSWER);
        List<Record> authority = response.getSection(Section.AUTHORITY);
        List<Record> additional = new ArrayList<>(response.getSection(Section.ADDITIONAL));
        additional.removeIf(r -> r instanceof OPTRecord);
        boolean ad = response.getHeader().getFlag(Flags.AD);
        long lifetime = lifetime(rcode, answer, authority);
        Entry e = new Entry(rcode, ad, List.copyOf(answer), List.copyOf(authority), List.copyOf(additional),
                nanoClock.getAsLong(), lifetime);
        if (lifetime > 0 && segments.length > 0) {
            Segment segment = segment(q);
            synchronized (segment) {
                segment.put(q, e);
            }
        }
        return new ForwardedAnswer(rcode, ad, e.answer(), e.authority(), e.additional(), new TtlClamp(0, Math.max(lifetime, 0)),
                ForwardedAnswer.Origin.UPSTREAM);
    }

    /**
     * Seconds an answer may be cached: a positive answer for its smallest TTL (capped); a negative
     * one (NXDOMAIN, or NOERROR without answer records) for min(SOA TTL, SOA minimum) (capped), and
     * not at all without a SOA (RFC 2308 section 5); any other rcode not at all.
     */
    long lifetime(int rcode, List<Record> answer, List<Record> authority) {
        boolean negative = rcode == Rcode.NXDOMAIN || (rcode == Rcode.NOERROR && answer.isEmpty());
        if (negative) {
            for (Record r : authority) {
                if (r instanceof SOARecord soa) {
                    return Math.min(Math.min(soa.getTTL(), soa.getMinimum()), maxNegativeTtlSeconds);
                }
            }
            return 0;
        }
        if (rcode != Rcode.NOERROR) {
            return 0;
        }
        long min = maxTtlSeconds;
        for (Record r : answer) {
            min = Math.min(min, r.getTTL());
        }
        for (Record r : authority) {
            min = Math.min(min, r.getTTL());
        }
        return min;
    }

    public int size() {
        int n = 0;
        for (Segment s : segments) {
            synchronized (s) {
                n += s.size();
            }
        }
        return n;
    }

    private Segment segment(Question q) {
        return segments[Math.floorMod(q.hashCode(), segments.length)];
    }
}
