package io.kedge.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kedge.agent.catalog.Catalog;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Section;

/**
 * Forwarding through real upstreams on loopback addresses: dnsmasq for ordinary answers, and a
 * scripted dnsjava upstream where a test must force truncation, silence, delays or NXDOMAIN.
 * Clients are the real dig.
 */
class ForwardingIT {
    private static final Catalog CATALOG = TestCatalogs.standard("www.example.test");
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    /** One thread per concurrent dig, whatever the machine's size. */
    private final java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(8);
    private PrometheusRegistry registry;

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        clients.shutdownNow();
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T resource) {
        closeLater.add(resource);
        return resource;
    }

    private InetSocketAddress server(String listen, UnaryOperator<DnsConfig.Builder> settings) {
        registry = new PrometheusRegistry();
        DnsConfig config = settings.apply(DnsConfig.builder().listenAddress(listen).listenPort(0).resolvConf("/nonexistent")
                .upstreamTimeoutMillis(1000).eventLoopThreads(2)).build();
        DnsServer server = closing(new DnsServer(config, () -> CATALOG, registry));
        server.start();
        return server.udpAddress();
    }

    private Dnsmasq dnsmasq(String ip) throws IOException {
        return closing(new Dnsmasq(dir.resolve("dnsmasq-" + ip), InetAddress.getByName(ip),
                Map.of("www.example.test", "192.0.2.80", "api.example.test", "192.0.2.81")));
    }

    private ScriptedUpstream scripted(String ip, java.util.function.BiFunction<Message, Boolean, ScriptedUpstream.Action> script)
            throws IOException {
        return closing(new ScriptedUpstream(InetAddress.getByName(ip), script));
    }

    /** An address:port with nothing listening (the port was free a moment ago). */
    private static String deadServer(String ip) throws IOException {
        return ip + ":" + Dnsmasq.freePort(InetAddress.getByName(ip));
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void forwardsAndAnswersTheSecondTimeFromTheCache() throws Exception {
        Dnsmasq upstream = dnsmasq("127.0.0.41");
        InetSocketAddress dns = server("127.0.0.40", b -> b.upstreamServers(List.of(upstream.server())));
        Dig.Result first = Dig.query(dns, "www.example.test", "A");
        assertThat(first.status()).as(first.raw()).isEqualTo("NOERROR");
        assertThat(first.flags()).contains("qr", "ra").doesNotContain("aa");
        assertThat(first.answerData("A")).containsExactly("192.0.2.80");
        Dig.Result second = Dig.query(dns, "+tcp", "WWW.example.TEST", "A");
        assertThat(second.answerData("A")).containsExactly("192.0.2.80");
        assertThat(second.answer().get(0).ttl()).isBetween(0L, 60L);
        assertThat(upstream.queries("A", "www.example.test")).isEqualTo(1);
        assertThat(scrape()).contains("kedge_dns_cache_lookups_total{result=\"hit\"} 1.0")
                .contains("kedge_dns_queries_total{qtype=\"A\",rcode=\"NOERROR\",source=\"forwarded\",transport=\"tcp\"} 1.0");
        // NXDOMAIN from upstream reaches the client.
        assertThat(Dig.query(dns, "nope.example.test", "A").status()).isEqualTo("NXDOMAIN");
    }

    @Test
    void externalNameTargetIsResolvedUpstreamAndAppended() throws Exception {
        Dnsmasq upstream = dnsmasq("127.0.0.43");
        InetSocketAddress dns = server("127.0.0.42", b -> b.upstreamServers(List.of(upstream.server())));
        Dig.Result r = Dig.query(dns, "ext.default.svc.cluster.local", "A");
        assertThat(r.status()).isEqualTo("NOERROR");
        assertThat(r.flags()).contains("aa");
        assertThat(r.answer()).extracting(rr -> rr.type() + " " + rr.data())
                .containsExactly("CNAME www.example.test.", "A 192.0.2.80");
    }

    @Test
    void failsOverToTheNextServerAndPutsTheDeadOneLast() throws Exception {
        Dnsmasq upstream = dnsmasq("127.0.0.45");
        String dead = deadServer("127.0.0.46");
        InetSocketAddress dns = server("127.0.0.44", b -> b.upstreamServers(List.of(dead, upstream.server())));
        assertThat(Dig.query(dns, "www.example.test", "A").answerData("A")).containsExactly("192.0.2.80");
        assertThat(Dig.query(dns, "api.example.test", "A").answerData("A")).containsExactly("192.0.2.81");
        String metrics = scrape();
        // The dead server was asked once; after that it is tried last, so the second name went straight to dnsmasq.
        assertThat(metrics).contains("kedge_dns_upstream_failures_total{reason=\"network\",upstream=\"" + dead + "\"} 1.0");
    }

    @Test
    void silentServerTimesOutAndTheNextAnswers() throws Exception {
        ScriptedUpstream silent = scripted("127.0.0.48", (q, tcp) -> new ScriptedUpstream.Silence());
        ScriptedUpstream good = scripted("127.0.0.49", (q, tcp) -> new ScriptedUpstream.Reply(ScriptedUpstream.answer(q, 60, "192.0.2.9"), 0));
        InetSocketAddress dns = server("127.0.0.47", b -> b.upstreamServers(List.of(silent.server(), good.server())).upstreamTimeoutMillis(500));
        assertThat(Dig.query(dns, "one.example.test", "A").answerData("A")).containsExactly("192.0.2.9");
        assertThat(Dig.query(dns, "two.example.test", "A").answerData("A")).containsExactly("192.0.2.9");
        assertThat(silent.count("one.example.test.")).isEqualTo(1);
        assertThat(silent.count("two.example.test.")).isZero();
        assertThat(scrape()).contains("kedge_dns_upstream_failures_total{reason=\"timeout\",upstream=\"" + silent.server() + "\"} 1.0");
    }

    @Test
    void servfailWhenEveryServerIsDown() throws Exception {
        ScriptedUpstream silent = scripted("127.0.0.52", (q, tcp) -> new ScriptedUpstream.Silence());
        String dead = deadServer("127.0.0.51");
        InetSocketAddress dns = server("127.0.0.50", b -> b.upstreamServers(List.of(dead, silent.server()))
                .upstreamTimeoutMillis(300));
        Dig.Result r = Dig.query(dns, "www.example.test", "A");
        assertThat(r.status()).as(r.raw()).isEqualTo("SERVFAIL");
        // The zone still answers.
        assertThat(Dig.query(dns, "web.default.svc.cluster.local", "A").status()).isEqualTo("NOERROR");
    }

    @Test
    void negativeAnswersAreCachedForTheSoaMinimum() throws Exception {
        ScriptedUpstream upstream = scripted("127.0.0.54", (q, tcp) -> new ScriptedUpstream.Reply(ScriptedUpstream.nxdomain(q, 300, 60), 0));
        InetSocketAddress dns = server("127.0.0.53", b -> b.upstreamServers(List.of(upstream.server())));
        assertThat(Dig.query(dns, "gone.example.test", "A").status()).isEqualTo("NXDOMAIN");
        Dig.Result again = Dig.query(dns, "gone.example.test", "A");
        assertThat(again.status()).isEqualTo("NXDOMAIN");
        assertThat(again.authority()).singleElement().satisfies(soa -> assertThat(soa.ttl()).isBetween(0L, 30L));
        assertThat(upstream.count("gone.example.test.")).isEqualTo(1);
    }

    @Test
    void truncatedUdpAnswerIsRetriedOverTcp() throws Exception {
        ScriptedUpstream upstream = scripted("127.0.0.56", (q, tcp) -> {
            if (tcp) {
                return new ScriptedUpstream.Reply(ScriptedUpstream.answer(q, 60, "192.0.2.1", "192.0.2.2", "192.0.2.3"), 0);
            }
            Message tc = ScriptedUpstream.replyTo(q, 0);
            tc.getHeader().setFlag(Flags.TC);
            return new ScriptedUpstream.Reply(tc, 0);
        });
        InetSocketAddress dns = server("127.0.0.55", b -> b.upstreamServers(List.of(upstream.server())));
        Dig.Result r = Dig.query(dns, "big.example.test", "A");
        assertThat(r.answerData("A")).containsExactlyInAnyOrder("192.0.2.1", "192.0.2.2", "192.0.2.3");
        assertThat(upstream.count("big.example.test.", false)).isEqualTo(1);
        assertThat(upstream.count("big.example.test.", true)).isEqualTo(1);
    }

    @Test
    void ednsAndTheDoBitArePassedUpstream() throws Exception {
        ScriptedUpstream upstream = scripted("127.0.0.58", (q, tcp) -> {
            Message m = ScriptedUpstream.answer(q, 60, "192.0.2.7");
            m.getHeader().setFlag(Flags.AD);
            return new ScriptedUpstream.Reply(m, 0);
        });
        InetSocketAddress dns = server("127.0.0.57", b -> b.upstreamServers(List.of(upstream.server())));
        Dig.Result r = Dig.query(dns, "+dnssec", "signed.example.test", "A");
        assertThat(r.flags()).contains("ad");
        assertThat(r.ednsFlags()).contains("do");
        OPTRecord opt = upstream.seen.get(0).query().getOPT();
        assertThat(opt).isNotNull();
        assertThat(opt.getPayloadSize()).isEqualTo(1232);
        assertThat(opt.getFlags() & ExtendedFlags.DO).isNotZero();
        // Without DO (and without AD in the query, which dig sets by default) the client gets no AD
        // (RFC 6840 5.7), and the upstream is asked again: the DO bit is part of the cache key.
        Dig.Result plain = Dig.query(dns, "+noadflag", "signed.example.test", "A");
        assertThat(plain.flags()).doesNotContain("ad");
        assertThat(upstream.count("signed.example.test.")).isEqualTo(2);
        assertThat(upstream.seen.get(1).query().getOPT().getFlags() & ExtendedFlags.DO).isZero();
        assertThat(upstream.seen.get(1).query().getSection(Section.QUESTION)).hasSize(1);
    }

    @Test
    void identicalQueriesInFlightShareOneUpstreamQuery() throws Exception {
        ScriptedUpstream upstream = scripted("127.0.0.60",
                (q, tcp) -> new ScriptedUpstream.Reply(ScriptedUpstream.answer(q, 60, "192.0.2.5"), 2000));
        InetSocketAddress dns = server("127.0.0.59", b -> b.upstreamServers(List.of(upstream.server())).upstreamTimeoutMillis(10_000));
        List<CompletableFuture<Dig.Result>> digs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            digs.add(CompletableFuture.supplyAsync(() -> Dig.query(dns, "slow.example.test", "A"), clients));
        }
        for (CompletableFuture<Dig.Result> d : digs) {
            assertThat(d.join().answerData("A")).containsExactly("192.0.2.5");
        }
        assertThat(upstream.count("slow.example.test.")).isEqualTo(1);
    }

    @Test
    void inFlightBoundIsRespected() throws Exception {
        ScriptedUpstream upstream = scripted("127.0.0.62",
                (q, tcp) -> new ScriptedUpstream.Reply(ScriptedUpstream.answer(q, 60, "192.0.2.6"), 4000));
        InetSocketAddress dns = server("127.0.0.61", b -> b.upstreamServers(List.of(upstream.server())).maxInFlight(2)
                .upstreamTimeoutMillis(10_000));
        List<CompletableFuture<Dig.Result>> digs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String name = "n" + i + ".example.test";
            digs.add(CompletableFuture.supplyAsync(() -> Dig.query(dns, name, "A"), clients));
        }
        long answered = 0;
        long refused = 0;
        for (CompletableFuture<Dig.Result> d : digs) {
            String status = d.join().status();
            assertThat(status).isIn("NOERROR", "SERVFAIL");
            answered += status.equals("NOERROR") ? 1 : 0;
            refused += status.equals("SERVFAIL") ? 1 : 0;
        }
        assertThat(upstream.maxPending.get()).isLessThanOrEqualTo(2);
        assertThat(refused).isPositive();
        assertThat(upstream.seen).hasSize((int) answered);
        assertThat(scrape()).contains("kedge_dns_overloaded_total " + refused + ".0");
    }

    @Test
    void expiredAnswerIsServedWhenEveryUpstreamFails() throws Exception {
        ScriptedUpstream upstream = scripted("127.0.0.64", (q, tcp) -> new ScriptedUpstream.Reply(ScriptedUpstream.answer(q, 1, "192.0.2.4"), 0));
        InetSocketAddress dns = server("127.0.0.63", b -> b.upstreamServers(List.of(upstream.server())).upstreamTimeoutMillis(300));
        assertThat(Dig.query(dns, "flaky.example.test", "A").answerData("A")).containsExactly("192.0.2.4");
        upstream.script((q, tcp) -> new ScriptedUpstream.Silence());
        // Once the 1 s TTL has passed the cache has only a stale answer; upstream is silent.
        await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(30))
                .until(() -> upstream.count("flaky.example.test.") >= 1);
        Dig.Result stale = Dig.query(dns, "flaky.example.test", "A");
        assertThat(stale.status()).isEqualTo("NOERROR");
        assertThat(stale.answerData("A")).containsExactly("192.0.2.4");
        assertThat(stale.answer().get(0).ttl()).isLessThanOrEqualTo(30);
        assertThat(upstream.count("flaky.example.test.")).isEqualTo(2);
        assertThat(scrape()).contains("kedge_dns_cache_lookups_total{result=\"stale\"} 1.0");
    }
}
