package io.kedge.agent.dns;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The DNS server's Prometheus metrics. Label values are drawn from small fixed sets (query types
 * outside a common list count as "other"), so a client cannot grow the number of series. The
 * per-query counter's data points are resolved once and kept in an array: the hot path does no
 * label lookup.
 */
public final class DnsMetrics {
    /** Where an answer came from. */
    public enum Source {
        /** the cluster zone (or its reverse names) */
        ZONE,
        /** the cache or an upstream server */
        FORWARDED,
        /** the server itself, without resolving: malformed queries, unsupported opcodes or types, overload */
        LOCAL;

        final String label = name().toLowerCase(java.util.Locale.ROOT);
    }

    private static final int[] TYPES = {Type.A, Type.AAAA, Type.SRV, Type.PTR, Type.CNAME, Type.TXT, Type.MX, Type.NS,
            Type.SOA, Type.ANY, Type.HTTPS, Type.SVCB};
    private static final String[] TRANSPORTS = {"udp", "tcp"};
    /** Rcodes with a label of their own; the rest are "other". */
    private static final int RCODES = 6;

    private final PrometheusRegistry registry;
    private final List<Collector> registered = new ArrayList<>();
    private final Counter queries;
    private final CounterDataPoint[] queryPoints;
    private final Counter cacheLookups;
    private final CounterDataPoint cacheHit;
    private final CounterDataPoint cacheMiss;
    private final CounterDataPoint cacheStale;
    private final Counter dropped;
    private final Counter truncated;
    private final Counter coalesced;
    private final Counter overloaded;
    private final Counter upstreamFailures;
    private final Histogram upstreamDuration;

    public DnsMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        queries = register(Counter.builder().name("kedge_dns_queries_total")
                .help("DNS queries answered, by transport, query type, response code and source (zone, forwarded, local)")
                .labelNames("transport", "qtype", "rcode", "source").withoutExemplars().build());
        queryPoints = new CounterDataPoint[TRANSPORTS.length * (TYPES.length + 2) * (RCODES + 1) * Source.values().length];
        cacheLookups = register(Counter.builder().name("kedge_dns_cache_lookups_total")
                .help("Lookups of forwarded names in the cache: hit, miss, or stale (expired answer served because every upstream failed)")
                .labelNames("result").withoutExemplars().build());
        cacheHit = cacheLookups.labelValues("hit");
        cacheMiss = cacheLookups.labelValues("miss");
        cacheStale = cacheLookups.labelValues("stale");
        dropped = register(Counter.builder().name("kedge_dns_dropped_total")
                .help("Packets or replies dropped on purpose, by reason")
                .labelNames("reason").withoutExemplars().build());
        truncated = register(Counter.builder().name("kedge_dns_truncated_total")
                .help("UDP replies truncated (TC) to fit the client's payload size")
                .withoutExemplars().build());
        coalesced = register(Counter.builder().name("kedge_dns_coalesced_total")
                .help("Forwarded queries that joined an identical query already in flight upstream")
                .withoutExemplars().build());
        overloaded = register(Counter.builder().name("kedge_dns_overloaded_total")
                .help("Forwarded queries refused with SERVFAIL because the in-flight bound was reached")
                .withoutExemplars().build());
        upstreamFailures = register(Counter.builder().name("kedge_dns_upstream_failures_total")
                .help("Failed exchanges with upstream servers, by server and reason")
                .labelNames("upstream", "reason").withoutExemplars().build());
        upstreamDuration = register(Histogram.builder().name("kedge_dns_upstream_duration_seconds")
                .help("Time for an upstream server to answer, by server and transport")
                .labelNames("upstream", "transport")
                .classicUpperBounds(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5)
                .withoutExemplars().build());
    }

    /** Registers the gauges that read live state. */
    public void gauges(IntSupplier upstreamInFlight, IntSupplier cacheEntries, IntSupplier tcpConnections) {
        register(GaugeWithCallback.builder().name("kedge_dns_upstream_in_flight")
                .help("Distinct queries waiting for an upstream answer").callback(cb -> cb.call(upstreamInFlight.getAsInt())).build());
        register(GaugeWithCallback.builder().name("kedge_dns_cache_entries")
                .help("Answers in the cache").callback(cb -> cb.call(cacheEntries.getAsInt())).build());
        register(GaugeWithCallback.builder().name("kedge_dns_tcp_connections")
                .help("Open TCP client connections").callback(cb -> cb.call(tcpConnections.getAsInt())).build());
    }

    private <T extends Collector> T register(T collector) {
        registry.register(collector);
        registered.add(collector);
        return collector;
    }

    /** Counts one answered query; {@code qtype} -1 for a query whose question could not be read. */
    public void query(boolean tcp, int qtype, int rcode, Source source) {
        int t = tcp ? 1 : 0;
        int q = typeIndex(qtype);
        int r = rcode >= 0 && rcode < RCODES ? rcode : RCODES;
        int i = ((t * (TYPES.length + 2) + q) * (RCODES + 1) + r) * Source.values().length + source.ordinal();
        CounterDataPoint point = queryPoints[i];
        if (point == null) {
            // Racy initialisation is harmless: labelValues returns the same data point every time.
            point = queries.labelValues(TRANSPORTS[t], typeLabel(q), r == RCODES ? "other" : Rcode.string(r), source.label);
            queryPoints[i] = point;
        }
        point.inc();
    }

    private static int typeIndex(int qtype) {
        if (qtype < 0) {
            return TYPES.length + 1;
        }
        for (int i = 0; i < TYPES.length; i++) {
            if (TYPES[i] == qtype) {
                return i;
            }
        }
        return TYPES.length;
    }

    private static String typeLabel(int index) {
        if (index < TYPES.length) {
            return Type.string(TYPES[index]);
        }
        return index == TYPES.length ? "other" : "none";
    }

    public void cacheHit() {
        cacheHit.inc();
    }

    public void cacheMiss() {
        cacheMiss.inc();
    }

    public void cacheStale() {
        cacheStale.inc();
    }

    /** A packet or reply dropped: {@code short}, {@code response}, {@code busy} (socket not writable), {@code tcp-limit}, ... */
    public void dropped(String reason) {
        dropped.labelValues(reason).inc();
    }

    public void truncated() {
        truncated.inc();
    }

    public void coalesced() {
        coalesced.inc();
    }

    public void overloaded() {
        overloaded.inc();
    }

    public void upstreamFailure(InetSocketAddress upstream, String reason) {
        upstreamFailures.labelValues(label(upstream), reason).inc();
    }

    public void upstreamDuration(InetSocketAddress upstream, boolean tcp, double seconds) {
        upstreamDuration.labelValues(label(upstream), tcp ? "tcp" : "udp").observe(seconds);
    }

    private static String label(InetSocketAddress upstream) {
        return upstream.getAddress().getHostAddress() + ":" + upstream.getPort();
    }

    /** Removes every metric from the registry (a new server may then register its own). */
    public void unregister() {
        registered.forEach(registry::unregister);
        registered.clear();
    }
}
