package io.kedge.agent.dns.forward;

import io.kedge.agent.dns.DnsMetrics;
import io.kedge.agent.dns.forward.UpstreamClient.UpstreamTimeoutException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * Resolves names outside the cluster zone through the upstream servers: from the cache when it
 * can, otherwise by asking the servers one after the other until one answers (each within the
 * upstream timeout, so the whole is bounded), retrying over TCP when a UDP answer is truncated.
 * Identical questions in flight share one upstream query; distinct ones are bounded, and beyond the
 * bound a question fails at once (SERVFAIL) instead of queueing. When every server fails, an expired
 * cached answer is served if there is one (RFC 8767), else SERVFAIL.
 */
public final class Forwarder {
    private static final Logger log = LoggerFactory.getLogger(Forwarder.class);
    /** Clients that may wait on one upstream query; more identical questions fail at once. */
    static final int MAX_WAITERS_PER_QUERY = 1000;

    private final List<Upstream> upstreams;
    private final UpstreamClient client;
    private final ResponseCache cache;
    private final DnsMetrics metrics;
    private final LongSupplier nanoClock;
    private final long timeoutMillis;
    private final int maxInFlight;
    private final int payloadSize;
    private final ConcurrentHashMap<Question, Exchange> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger inFlightCount = new AtomicInteger();
    private final SecureRandom random = new SecureRandom();

    /** One upstream query and the clients waiting for it. */
    private static final class Exchange {
        final CompletableFuture<ForwardedAnswer> result = new CompletableFuture<>();
        final AtomicInteger waiters = new AtomicInteger(1);
    }

    /**
     * @param upstreams     servers in order of preference
     * @param client        sends one query to one server
     * @param cache         answers by question
     * @param timeoutMillis time allowed to one server for one query
     * @param maxInFlight   bound on distinct upstream queries at once
     * @param payloadSize   EDNS payload size advertised upstream
     */
    public Forwarder(List<InetSocketAddress> upstreams, UpstreamClient client, ResponseCache cache, DnsMetrics metrics,
                     LongSupplier nanoClock, long timeoutMillis, int maxInFlight, int payloadSize) {
        this.upstreams = new java.util.ArrayList<>();
        for (int i = 0; i < upstreams.size(); i++) {
            this.upstreams.add(new Upstream(upstreams.get(i), i));
        }
        this.client = client;
        this.cache = cache;
        this.metrics = metrics;
        this.nanoClock = nanoClock;
        this.timeoutMillis = timeoutMillis;
        this.maxInFlight = maxInFlight;
        this.payloadSize = payloadSize;
    }

    /** Distinct questions waiting for an upstream. */
    public int inFlight() {
        return inFlightCount.get();
    }

    public List<InetSocketAddress> upstreams() {
        return upstreams.stream().map(u -> u.address).toList();
    }

    /** The answer to {@code q}; the future always completes normally (SERVFAIL on failure). */
    public CompletableFuture<ForwardedAnswer> forward(Question q) {
        ForwardedAnswer cached = cache.fresh(q);
        if (cached != null) {
            metrics.cacheHit();
            return CompletableFuture.completedFuture(cached);
        }
        metrics.cacheMiss();
        Exchange running = inFlight.get(q);
        if (running != null) {
            return join(running, q);
        }
        if (upstreams.isEmpty()) {
            return CompletableFuture.completedFuture(staleOrFailed(q));
        }
        if (inFlightCount.incrementAndGet() > maxInFlight) {
            inFlightCount.decrementAndGet();
            metrics.overloaded();
            return CompletableFuture.completedFuture(staleOrFailed(q));
        }
        Exchange mine = new Exchange();
        Exchange raced = inFlight.putIfAbsent(q, mine);
        if (raced != null) {
            inFlightCount.decrementAndGet();
            return join(raced, q);
        }
        mine.result.whenComplete((a, e) -> {
            inFlight.remove(q, mine);
            inFlightCount.decrementAndGet();
        });
        attempt(q, mine, Upstream.order(upstreams, nanoClock), 0);
        return mine.result;
    }

    private CompletableFuture<ForwardedAnswer> join(Exchange running, Question q) {
        if (running.waiters.incrementAndGet() > MAX_WAITERS_PER_QUERY) {
            metrics.overloaded();
            return CompletableFuture.completedFuture(staleOrFailed(q));
        }
        metrics.coalesced();
        return running.result;
    }

    /** Asks {@code order[index]}, then the next server on failure. */
    private void attempt(Question q, Exchange exchange, List<Upstream> order, int index) {
        if (index >= order.size()) {
            exchange.result.complete(staleOrFailed(q));
            return;
        }
        Upstream server = order.get(index);
        ask(server, q, false).whenComplete((reply, error) -> {
            try {
                if (error == null && reply.getHeader().getFlag(Flags.TC)) {
                    ask(server, q, true).whenComplete((tcpReply, tcpError) -> settle(q, exchange, order, index, tcpReply, tcpError));
                } else {
                    settle(q, exchange, order, index, reply, error);
                }
            } catch (RuntimeException e) {
                // Never leave clients waiting on a bug.
                log.error("forwarding {} failed", q, e);
                exchange.result.complete(ForwardedAnswer.failed());
            }
        });
    }

    private void settle(Question q, Exchange exchange, List<Upstream> order, int index, Message reply, Throwable error) {
        Upstream server = order.get(index);
        if (error == null) {
            int rcode = reply.getRcode();
            if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
                server.answered();
                exchange.result.complete(cache.put(q, reply));
                return;
            }
            // SERVFAIL, REFUSED, ...: this server cannot help with this name, another may.
            metrics.upstreamFailure(server.address, "rcode-" + Rcode.string(rcode).toLowerCase(java.util.Locale.ROOT));
        } else {
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            server.failed(nanoClock.getAsLong());
            metrics.upstreamFailure(server.address, cause instanceof UpstreamTimeoutException ? "timeout" : "network");
            log.debug("upstream {} failed for {}: {}", server, q.name(), cause.toString());
        }
        attempt(q, exchange, order, index + 1);
    }

    private CompletableFuture<Message> ask(Upstream server, Question q, boolean tcp) {
        Message query = new Message(random.nextInt(0x10000));
        query.getHeader().setFlag(Flags.RD);
        if (q.checkingDisabled()) {
            query.getHeader().setFlag(Flags.CD);
        }
        query.addRecord(Record.newRecord(q.name(), q.type(), q.dclass()), Section.QUESTION);
        query.addRecord(new OPTRecord(payloadSize, 0, 0, q.dnssecOk() ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        long start = nanoClock.getAsLong();
        return client.exchange(server.address, query, tcp, timeoutMillis).whenComplete((reply, error) -> {
            if (error == null) {
                metrics.upstreamDuration(server.address, tcp, (nanoClock.getAsLong() - start) / (double) TimeUnit.SECONDS.toNanos(1));
            }
        });
    }

    private ForwardedAnswer staleOrFailed(Question q) {
        ResponseCache.Hit hit = cache.stale(q);
        if (hit != null) {
            metrics.cacheStale();
            return hit.answer();
        }
        return ForwardedAnswer.failed();
    }
}
