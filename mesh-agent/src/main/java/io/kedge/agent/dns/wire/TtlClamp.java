package io.kedge.agent.dns.wire;

/**
 * How the TTLs of an answer taken from the cache are shown to a client: each record's TTL less the
 * seconds since it was received, and never more than the seconds the cache will keep the answer
 * (so a record with a day-long TTL cached for 30 s is not handed out for a day).
 *
 * @param elapsedSeconds seconds since the upstream answered
 * @param maxSeconds     the most any record may show
 */
public record TtlClamp(long elapsedSeconds, long maxSeconds) {
    public long apply(long ttl) {
        return Math.max(0, Math.min(ttl - elapsedSeconds, maxSeconds));
    }
}
