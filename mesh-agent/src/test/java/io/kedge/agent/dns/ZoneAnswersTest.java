package io.kedge.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.dns.forward.Forwarder;
import io.kedge.agent.dns.forward.ResponseCache;
import io.kedge.agent.dns.zone.ClusterZone;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The Kubernetes DNS specification cases against a hand-built catalog, without any network. */
class ZoneAnswersTest {
    private final AtomicReference<Catalog> catalog = new AtomicReference<>(TestCatalogs.standard("db.example.org"));
    private final QueryResolver resolver = resolver(catalog);

    static QueryResolver resolver(AtomicReference<Catalog> catalog) {
        ClusterZone zone = new ClusterZone(Name.fromConstantString("cluster.local."), 30,
                DnsConfig.parseServer("127.0.0.1").getAddress(), catalog::get);
        // No upstream servers: anything forwarded fails at once, which the tests below rely on to
        // tell zone answers from forwarded ones.
        Forwarder forwarder = new Forwarder(List.of(), null, new ResponseCache(0, 0, 0, 0, System::nanoTime),
                new DnsMetrics(new PrometheusRegistry()), System::nanoTime, 1000, 10, 1232);
        return new QueryResolver(zone, forwarder, 1232);
    }

    static Message query(String name, int type) {
        return Message.newQuery(Record.newRecord(Name.fromConstantString(name), type, DClass.IN));
    }

    private Message ask(String name, int type) {
        return resolver.resolve(query(name, type)).join().message();
    }

    private static List<String> rdata(Message m, int section) {
        return m.getSection(section).stream().map(Record::rdataToString).toList();
    }

    private static void assertNegative(Message m, int rcode) {
        assertThat(m.getRcode()).isEqualTo(rcode);
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(m.getSection(Section.AUTHORITY)).singleElement().isInstanceOfSatisfying(SOARecord.class, soa -> {
            assertThat(soa.getName()).isEqualTo(Name.fromConstantString("cluster.local."));
            assertThat(soa.getMinimum()).isEqualTo(30);
            assertThat(soa.getTTL()).isEqualTo(30);
        });
    }

    @Test
    void clusterIpServiceAnswersItsAddressAuthoritatively() {
        Message m = ask("web.default.svc.cluster.local.", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(rdata(m, Section.ANSWER)).containsExactly("198.18.0.10");
        assertThat(m.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(30);
    }

    @Test
    void ipv4OnlyServiceHasNoDataForAaaa() {
        assertNegative(ask("web.default.svc.cluster.local.", Type.AAAA), Rcode.NOERROR);
    }

    @Test
    void dualStackServiceAnswersAAndAaaa() {
        assertThat(rdata(ask("dual.default.svc.cluster.local.", Type.A), Section.ANSWER)).containsExactly("198.18.0.11");
        assertThat(rdata(ask("dual.default.svc.cluster.local.", Type.AAAA), Section.ANSWER)).containsExactly("2001:db8:0:0:0:0:0:11");
    }

    @Test
    void headlessServiceAnswersReadyEndpoints() {
        assertThat(rdata(ask("db.data.svc.cluster.local.", Type.A), Section.ANSWER))
                .containsExactlyInAnyOrder("198.18.1.1", "198.18.1.2", "198.18.1.3");
        assertThat(rdata(ask("db-0.db.data.svc.cluster.local.", Type.A), Section.ANSWER)).containsExactly("198.18.1.1");
        assertThat(rdata(ask("198-18-1-3.db.data.svc.cluster.local.", Type.A), Section.ANSWER)).containsExactly("198.18.1.3");
        assertNegative(ask("db-9.db.data.svc.cluster.local.", Type.A), Rcode.NXDOMAIN);
    }

    @Test
    void headlessServicePublishingNotReadyAddressesAnswersAll() {
        Catalog c = catalog.get();
        Map<io.kedge.agent.catalog.ServiceKey, io.kedge.agent.catalog.Service> services = new HashMap<>(c.services());
        services.put(TestCatalogs.DB, TestCatalogs.headless(TestCatalogs.DB, c.services().get(TestCatalogs.DB).ports(), true));
        catalog.set(new Catalog(8, services, c.endpoints(), Map.of()));
        assertThat(rdata(ask("db.data.svc.cluster.local.", Type.A), Section.ANSWER)).contains("198.18.1.9");
        assertThat(rdata(ask("db-9.db.data.svc.cluster.local.", Type.A), Section.ANSWER)).containsExactly("198.18.1.9");
    }

    @Test
    void headlessServiceWithoutEndpointsExistsWithoutRecords() {
        assertNegative(ask("nobody.default.svc.cluster.local.", Type.A), Rcode.NOERROR);
    }

    @Test
    void srvOfClusterIpServicePointsAtTheServiceWithItsAddressAdditional() {
        Message m = ask("_http._tcp.web.default.svc.cluster.local.", Type.SRV);
        assertThat(m.getSection(Section.ANSWER)).singleElement().isInstanceOfSatisfying(SRVRecord.class, srv -> {
            assertThat(srv.getPort()).isEqualTo(80);
            assertThat(srv.getTarget()).isEqualTo(Name.fromConstantString("web.default.svc.cluster.local."));
        });
        assertThat(m.getSection(Section.ADDITIONAL)).filteredOn(r -> r.getType() == Type.A)
                .extracting(Record::rdataToString).containsExactly("198.18.0.10");
        SRVRecord udp = (SRVRecord) ask("_dns._udp.web.default.svc.cluster.local.", Type.SRV).getSection(Section.ANSWER).get(0);
        assertThat(udp.getPort()).isEqualTo(53);
        assertNegative(ask("_http._udp.web.default.svc.cluster.local.", Type.SRV), Rcode.NXDOMAIN);
        assertNegative(ask("_tcp.web.default.svc.cluster.local.", Type.SRV), Rcode.NOERROR);
    }

    @Test
    void srvOfHeadlessServiceHasOneRecordPerReadyEndpoint() {
        Message m = ask("_postgres._tcp.db.data.svc.cluster.local.", Type.SRV);
        assertThat(m.getSection(Section.ANSWER)).hasSize(3).allSatisfy(r -> assertThat(((SRVRecord) r).getPort()).isEqualTo(15432));
        assertThat(m.getSection(Section.ANSWER)).extracting(r -> ((SRVRecord) r).getTarget().toString()).containsExactlyInAnyOrder(
                "db-0.db.data.svc.cluster.local.", "db-1.db.data.svc.cluster.local.", "198-18-1-3.db.data.svc.cluster.local.");
        assertThat(m.getSection(Section.ADDITIONAL)).filteredOn(r -> r.getType() == Type.A)
                .extracting(r -> r.getName() + " " + r.rdataToString()).containsExactlyInAnyOrder(
                        "db-0.db.data.svc.cluster.local. 198.18.1.1", "db-1.db.data.svc.cluster.local. 198.18.1.2",
                        "198-18-1-3.db.data.svc.cluster.local. 198.18.1.3");
    }

    @Test
    void unnamedPortsHaveNoSrv() {
        assertNegative(ask("_tcp.dual.default.svc.cluster.local.", Type.SRV), Rcode.NXDOMAIN);
    }

    @Test
    void ptrForClusterIpsAndNamedEndpoints() {
        assertThat(rdata(ask("10.0.18.198.in-addr.arpa.", Type.PTR), Section.ANSWER)).containsExactly("web.default.svc.cluster.local.");
        assertThat(rdata(ask("1.1.18.198.in-addr.arpa.", Type.PTR), Section.ANSWER)).containsExactly("db-0.db.data.svc.cluster.local.");
        assertThat(rdata(ask("1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", Type.PTR), Section.ANSWER))
                .containsExactly("dual.default.svc.cluster.local.");
        Message ptr = ask("10.0.18.198.in-addr.arpa.", Type.PTR);
        assertThat(ptr.getHeader().getFlag(Flags.AA)).isTrue();
        // An endpoint without hostname, and an address the cluster does not know, are not ours:
        // they are forwarded (and fail here, having no upstream).
        assertThat(ask("3.1.18.198.in-addr.arpa.", Type.PTR).getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(ask("99.0.18.198.in-addr.arpa.", Type.PTR).getRcode()).isEqualTo(Rcode.SERVFAIL);
    }

    @Test
    void externalNameIsACname() {
        Message a = ask("ext.default.svc.cluster.local.", Type.A);
        assertThat(a.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(a.getSection(Section.ANSWER)).singleElement().satisfies(r -> {
            assertThat(r.getType()).isEqualTo(Type.CNAME);
            assertThat(r.rdataToString()).isEqualTo("db.example.org.");
        });
        assertThat(rdata(ask("ext.default.svc.cluster.local.", Type.CNAME), Section.ANSWER)).containsExactly("db.example.org.");
    }

    @Test
    void externalNameInsideTheZoneIsFollowed() {
        Message m = ask("alias.default.svc.cluster.local.", Type.A);
        assertThat(m.getSection(Section.ANSWER)).extracting(r -> Type.string(r.getType()) + " " + r.rdataToString())
                .containsExactly("CNAME web.default.svc.cluster.local.", "A 198.18.0.10");
    }

    @Test
    void cnameLoopIsAServerFailure() {
        assertThat(ask("loop-a.default.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.SERVFAIL);
    }

    @Test
    void dnsVersionRecord() {
        assertThat(ask("dns-version.cluster.local.", Type.TXT).getSection(Section.ANSWER)).singleElement()
                .isInstanceOfSatisfying(org.xbill.DNS.TXTRecord.class, txt -> assertThat(txt.getStrings()).containsExactly("1.1.0"));
    }

    @Test
    void missingNamesAreNxdomainWithTheZoneSoa() {
        assertNegative(ask("nope.default.svc.cluster.local.", Type.A), Rcode.NXDOMAIN);
        assertNegative(ask("web.nons.svc.cluster.local.", Type.A), Rcode.NXDOMAIN);
        assertNegative(ask("x.web.default.svc.cluster.local.", Type.A), Rcode.NXDOMAIN);
        assertNegative(ask("pod.cluster.local.", Type.A), Rcode.NXDOMAIN);
    }

    @Test
    void searchPathMistakesInsideTheZoneAreNxdomainNotForwarded() {
        // A client with search path "default.svc.cluster.local" tries "example.com.default.svc.cluster.local" first.
        assertNegative(ask("example.com.default.svc.cluster.local.", Type.A), Rcode.NXDOMAIN);
    }

    @Test
    void emptyNonTerminalsAreNoData() {
        assertNegative(ask("default.svc.cluster.local.", Type.A), Rcode.NOERROR);
        assertNegative(ask("svc.cluster.local.", Type.A), Rcode.NOERROR);
        assertNegative(ask("cluster.local.", Type.A), Rcode.NOERROR);
    }

    @Test
    void apexAnswersSoaAndNs() {
        assertThat(ask("cluster.local.", Type.SOA).getSection(Section.ANSWER)).singleElement().isInstanceOf(SOARecord.class);
        assertThat(rdata(ask("cluster.local.", Type.NS), Section.ANSWER)).containsExactly("ns.dns.cluster.local.");
        assertThat(rdata(ask("ns.dns.cluster.local.", Type.A), Section.ANSWER)).containsExactly("127.0.0.1");
    }

    @Test
    void matchingIgnoresCaseAndKeepsTheQuestionsSpelling() {
        Message m = ask("WeB.DEFAULT.svc.Cluster.Local.", Type.A);
        assertThat(rdata(m, Section.ANSWER)).containsExactly("198.18.0.10");
        assertThat(m.getSection(Section.ANSWER).get(0).getName().toString()).isEqualTo("WeB.DEFAULT.svc.Cluster.Local.");
        assertThat(m.getQuestion().getName().toString()).isEqualTo("WeB.DEFAULT.svc.Cluster.Local.");
    }

    @Test
    void replyEchoesIdAndRecursionDesiredAndOffersEdnsOnlyToEdnsClients() {
        Message q = query("web.default.svc.cluster.local.", Type.A);
        Message plain = resolver.resolve(q).join().message();
        assertThat(plain.getHeader().getID()).isEqualTo(q.getHeader().getID());
        assertThat(plain.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(plain.getHeader().getFlag(Flags.RD)).isTrue();
        assertThat(plain.getOPT()).isNull();
        q.addRecord(new OPTRecord(4096, 0, 0, org.xbill.DNS.ExtendedFlags.DO), Section.ADDITIONAL);
        Message edns = resolver.resolve(q).join().message();
        assertThat(edns.getOPT()).isNotNull();
        assertThat(edns.getOPT().getPayloadSize()).isEqualTo(1232);
        assertThat(edns.getOPT().getFlags() & org.xbill.DNS.ExtendedFlags.DO).isNotZero();
    }

    @Test
    void otherClassesAndZoneTransfersAreRefused() {
        Message chaos = Message.newQuery(Record.newRecord(Name.fromConstantString("web.default.svc.cluster.local."), Type.TXT, DClass.CH));
        assertThat(resolver.resolve(chaos).join().message().getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(ask("cluster.local.", Type.AXFR).getRcode()).isEqualTo(Rcode.REFUSED);
    }

    @Test
    void answersFollowTheCatalog() {
        Catalog c = catalog.get();
        Map<io.kedge.agent.catalog.ServiceKey, io.kedge.agent.catalog.Service> services = new HashMap<>(c.services());
        var key = io.kedge.agent.catalog.ServiceKey.of("default", "new");
        services.put(key, TestCatalogs.clusterIp(key, List.of("198.18.0.99"),
                List.of(new ServicePort("http", 80, Protocol.TCP, null, null))));
        assertNegative(ask("new.default.svc.cluster.local.", Type.A), Rcode.NXDOMAIN);
        catalog.set(new Catalog(c.generation() + 1, services, c.endpoints(), Map.of()));
        assertThat(rdata(ask("new.default.svc.cluster.local.", Type.A), Section.ANSWER)).containsExactly("198.18.0.99");
        assertThat(((SOARecord) ask("nope.default.svc.cluster.local.", Type.A).getSection(Section.AUTHORITY).get(0)).getSerial())
                .isEqualTo(c.generation() + 1);
    }

    @Test
    void namesOutsideTheZoneAreForwarded() {
        // No upstream: SERVFAIL, not an authoritative answer.
        Message m = ask("web.default.", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(m.getHeader().getFlag(Flags.AA)).isFalse();
    }
}
