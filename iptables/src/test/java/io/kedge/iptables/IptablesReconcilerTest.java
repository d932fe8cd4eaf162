package io.kedge.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kedge.iptables.backend.Backends;
import io.kedge.iptables.backend.IptablesBackend;
import io.kedge.iptables.backend.RecordingBackend;
import io.kedge.iptables.save.SaveParser;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The reconciler against simulated kernels: what it reads, what it applies, what it counts. */
class IptablesReconcilerTest {
    static final Rule WEB = TestStates.WEB;
    static final Rule DNS = TestStates.DNS;

    private RecordingBackend v4;
    private RecordingBackend v6;
    private IptablesReconciler reconciler;
    private final List<SyncReport> reports = new CopyOnWriteArrayList<>();
    private final List<IptablesException> failures = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        v4 = RecordingBackend.simulated(IpFamily.V4);
        v6 = RecordingBackend.simulated(IpFamily.V6);
        reconciler = reconciler(Backends.of(v4, v6), Duration.ofSeconds(30));
    }

    @AfterEach
    void tearDown() {
        reconciler.close();
    }

    private IptablesReconciler reconciler(Backends backends, Duration period) {
        return IptablesReconciler.builder(backends).resyncPeriod(period).listener(new SyncListener() {
            @Override
            public void synced(SyncReport report) {
                reports.add(report);
            }

            @Override
            public void failed(Trigger trigger, IptablesException error) {
                failures.add(error);
            }
        }).build();
    }

    private List<String> rules(RecordingBackend backend, String chain) {
        var table = SaveParser.parse(backend.dump("nat")).table("nat");
        return table.chain(chain) == null ? List.of() : table.chain(chain).rules().stream().map(r -> r.toString()).toList();
    }

    private static List<ChangeKind> kinds(SyncReport report) {
        return report.changes().stream().map(Change::kind).toList();
    }

    @Test
    void appliesOnceAndThenHasNothingToDo() {
        SyncReport first = reconciler.update(TestStates.services(WEB, DNS));
        assertThat(first.trigger()).isEqualTo(Trigger.UPDATE);
        assertThat(first.transactions()).isEqualTo(1);
        assertThat(v4.restores()).hasSize(1);
        assertThat(v4.saves()).as("the first sync reads every table, before and after applying").containsExactly("*", "*");
        assertThat(v6.saves()).as("IPv6: read once for leftovers, nothing desired").containsExactly("*");
        assertThat(v6.restores()).isEmpty();
        assertThat(rules(v4, "KEDGE-SERVICES")).hasSize(2);

        SyncReport second = reconciler.sync();
        assertThat(second.changed()).isFalse();
        assertThat(second.changes()).isEmpty();
        assertThat(v4.restores()).as("nothing differs: nothing applied").hasSize(1);
        assertThat(v4.saves()).as("later syncs read only the desired tables").containsExactly("*", "*", "nat");
        assertThat(v6.saves()).as("IPv6 is not read again while nothing is desired there").hasSize(1);

        SyncReport same = reconciler.update(TestStates.services(WEB, DNS));
        assertThat(same.changed()).isFalse();

        IptablesStats stats = reconciler.stats();
        assertThat(stats.syncs()).isEqualTo(3);
        assertThat(stats.applies()).isEqualTo(1);
        assertThat(stats.repairs()).isZero();
        assertThat(stats.failures()).isZero();
        assertThat(stats.lastError()).isNull();
        assertThat(stats.lastSync()).isNotNull();
        assertThat(stats.lastApply()).isEqualTo(first.at());
        assertThat(reports).hasSize(3);
    }

    @Test
    void syncBeforeAnyUpdateReadsNothing() {
        assertThat(reconciler.sync().changed()).isFalse();
        assertThat(v4.saves()).isEmpty();
        assertThat(reconciler.stats().syncs()).isZero();
    }

    @Test
    void repairsDeletedRuleAndJumpAndCountsItAsRepair() {
        reconciler.update(TestStates.services(WEB, DNS));
        v4.simulate("*nat\n-D KEDGE-SERVICES 1\n-D OUTPUT 1\nCOMMIT\n");
        SyncReport repair = reconciler.sync();
        assertThat(kinds(repair)).containsExactlyInAnyOrder(ChangeKind.CHAIN_CHANGED, ChangeKind.JUMP_MISSING);
        assertThat(rules(v4, "KEDGE-SERVICES")).hasSize(2);
        assertThat(rules(v4, "OUTPUT")).singleElement().asString().endsWith("-j KEDGE-SERVICES");
        assertThat(reconciler.stats().repairs()).isEqualTo(1);
        assertThat(reconciler.stats().applies()).isEqualTo(2);

        reconciler.update(TestStates.services(WEB));
        assertThat(reconciler.stats().repairs()).as("a new desired state is not a repair").isEqualTo(1);
    }

    @Test
    void putsOurJumpsFirstWhateverOrderKubeProxyStartsIn() {
        String kubeProxy = "*nat\n:KUBE-SERVICES - [0:0]\n-I PREROUTING 1 -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
                + "-I OUTPUT 1 -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\nCOMMIT\n";
        v4.simulate(kubeProxy);
        reconciler.update(TestStates.services(WEB));
        assertThat(rules(v4, "PREROUTING")).satisfiesExactly(
                ours -> assertThat(ours).endsWith("-j KEDGE-SERVICES"), kube -> assertThat(kube).endsWith("-j KUBE-SERVICES"));

        // kube-proxy restarts and inserts its jumps at the top again.
        v4.simulate("*nat\n-D PREROUTING 2\n-D OUTPUT 2\nCOMMIT\n" + kubeProxy.replace(":KUBE-SERVICES - [0:0]\n", ""));
        assertThat(rules(v4, "OUTPUT").get(0)).endsWith("-j KUBE-SERVICES");
        SyncReport repair = reconciler.sync();
        assertThat(kinds(repair)).containsExactly(ChangeKind.JUMP_NOT_FIRST, ChangeKind.JUMP_NOT_FIRST);
        for (String chain : List.of("PREROUTING", "OUTPUT")) {
            assertThat(rules(v4, chain)).satisfiesExactly(
                    ours -> assertThat(ours).endsWith("-j KEDGE-SERVICES"), kube -> assertThat(kube).endsWith("-j KUBE-SERVICES"));
        }
    }

    @Test
    void removesDuplicatedJumps() {
        reconciler.update(TestStates.services(WEB));
        String jump = SaveParser.parse(v4.dump("nat")).table("nat").chain("OUTPUT").rules().get(0).spec();
        v4.simulate("*nat\n-A OUTPUT " + jump + "\n-I OUTPUT 1 " + jump + "\nCOMMIT\n");
        assertThat(rules(v4, "OUTPUT")).hasSize(3);
        assertThat(kinds(reconciler.sync())).containsExactly(ChangeKind.DUPLICATE_JUMP);
        assertThat(rules(v4, "OUTPUT")).hasSize(1);
    }

    @Test
    void firstSyncRemovesWhatAnEarlierRunLeftInAnyTableAndFamily() {
        v4.simulate("*mangle\n:KEDGE-MARK - [0:0]\n-A PREROUTING -m comment --comment \"kedge: old #0123456789abcdef\" -j KEDGE-MARK\nCOMMIT\n");
        v6.simulate("*nat\n:KEDGE-SERVICES - [0:0]\n-A OUTPUT -m comment --comment \"kedge: old #0123456789abcdef\" -j KEDGE-SERVICES\nCOMMIT\n");
        SyncReport report = reconciler.update(TestStates.services(WEB));
        assertThat(report.changes()).filteredOn(c -> c.kind() == ChangeKind.STALE_CHAIN)
                .extracting(c -> c.table().toString() + " " + c.chain())
                .containsExactlyInAnyOrder("iptables mangle KEDGE-MARK", "ip6tables nat KEDGE-SERVICES");
        assertThat(v4.dump(null)).doesNotContain("KEDGE-MARK");
        assertThat(v6.dump(null)).doesNotContain("KEDGE").doesNotContain("kedge");
    }

    @Test
    void tablesNoLongerDesiredAreCleanedOnTheNextSync() {
        DesiredState both = DesiredState.builder(Owner.KEDGE)
                .rule(IpFamily.V4, "nat", "KEDGE-SERVICES", WEB)
                .rule(IpFamily.V4, "filter", "KEDGE-FILTER", Rule.of("", "-j", "RETURN"))
                .jump(IpFamily.V4, "filter", Jump.of("INPUT", "KEDGE-FILTER", ""))
                .build();
        reconciler.update(both);
        assertThat(v4.dump("filter")).contains("KEDGE-FILTER");
        SyncReport report = reconciler.update(TestStates.services(WEB));
        assertThat(kinds(report)).contains(ChangeKind.STALE_CHAIN, ChangeKind.STALE_JUMP);
        assertThat(v4.dump("filter")).doesNotContain("KEDGE");
    }

    @Test
    void rejectedTransactionLeavesEarlierRulesAndQuotesTheLine() {
        reconciler.update(TestStates.services(WEB));
        String before = v4.dump(null);
        Rule broken = Rule.of("broken", "-p", "tcp", "-j", "KUBE-NOSUCHCHAIN");
        assertThatThrownBy(() -> reconciler.update(TestStates.services(WEB, broken)))
                .isInstanceOfSatisfying(IptablesException.class, e -> {
                    assertThat(e.kind()).isEqualTo(IptablesException.Kind.REJECTED);
                    assertThat(e.line()).startsWith("-A KEDGE-SERVICES").endsWith("-p tcp -j KUBE-NOSUCHCHAIN");
                    assertThat(e.getMessage()).contains("rejected line " + e.lineNumber()).contains("-j KUBE-NOSUCHCHAIN")
                            .contains("Chain 'KUBE-NOSUCHCHAIN' does not exist");
                });
        assertThat(v4.dump(null)).as("nothing of the failed transaction was applied").isEqualTo(before);
        IptablesStats stats = reconciler.stats();
        assertThat(stats.failures()).isEqualTo(1);
        assertThat(stats.lastError()).contains("KUBE-NOSUCHCHAIN");
        assertThat(stats.lastFailure()).isNotNull();
        assertThat(failures).singleElement().extracting(IptablesException::kind).isEqualTo(IptablesException.Kind.REJECTED);
        assertThat(reconciler.desired()).as("kept, so that the resync retries").isEqualTo(TestStates.services(WEB, broken));

        reconciler.update(TestStates.services(WEB, DNS));
        assertThat(reconciler.stats().lastError()).isNull();
    }

    @Test
    void desiredIpv6WithoutIp6tablesFailsClearlyBeforeTouchingAnything() {
        IptablesReconciler v4Only = reconciler(Backends.of(v4), Duration.ofSeconds(30));
        DesiredState withV6 = DesiredState.builder(Owner.KEDGE).rule(IpFamily.V4, "nat", "KEDGE-SERVICES", WEB)
                .rule(IpFamily.V6, "nat", "KEDGE-SERVICES", Rule.of("", "-j", "RETURN")).build();
        assertThatThrownBy(() -> v4Only.update(withV6)).isInstanceOf(IptablesException.class)
                .hasMessage("ip6tables-restore is not installed or not on PATH: install the iptables package");
        assertThat(v4.restores()).isEmpty();
    }

    @Test
    void givesUpWhenSomethingUndoesEveryTransaction() {
        RecordingBackend deaf = RecordingBackend.canned(IpFamily.V4, "*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n");
        IptablesReconciler fought = reconciler(Backends.of(deaf), Duration.ofSeconds(30));
        assertThatThrownBy(() -> fought.update(TestStates.services(WEB))).isInstanceOfSatisfying(IptablesException.class,
                e -> assertThat(e.kind()).isEqualTo(IptablesException.Kind.NOT_CONVERGED));
        assertThat(deaf.restores()).hasSize(IptablesReconciler.MAX_TRANSACTIONS);
    }

    @Test
    void periodicResyncRepairsOnItsOwn() {
        IptablesReconciler periodic = reconciler(Backends.of(v4), Duration.ofMillis(50));
        try {
            periodic.start();
            periodic.update(TestStates.services(WEB));
            v4.simulate("*nat\n-F KEDGE-SERVICES\n-D PREROUTING 1\nCOMMIT\n");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(rules(v4, "KEDGE-SERVICES")).hasSize(1);
                assertThat(rules(v4, "PREROUTING")).hasSize(1);
                assertThat(periodic.stats().repairs()).isEqualTo(1);
            });
            assertThat(reports).anySatisfy(r -> assertThat(r.trigger()).isEqualTo(Trigger.RESYNC));
        } finally {
            periodic.close();
        }
        assertThat(v4.dump(null)).doesNotContain("KEDGE");
    }

    @Test
    void resyncWaitsForDesiredStateAndSurvivesFailures() {
        IptablesReconciler periodic = reconciler(Backends.of(v4), Duration.ofMillis(20));
        try {
            v4.simulate("*nat\n:KEDGE-FROM-LAST-RUN - [0:0]\nCOMMIT\n");
            periodic.start();
            await().pollDelay(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> true);
            assertThat(v4.saves()).as("no desired state yet: the rules of the previous run stay untouched").isEmpty();

            Rule broken = Rule.of("broken", "-j", "KUBE-NOSUCHCHAIN");
            assertThatThrownBy(() -> periodic.update(TestStates.services(WEB, broken))).isInstanceOf(IptablesException.class);
            await().atMost(Duration.ofSeconds(30)).until(() -> failures.size() >= 3);
            periodic.update(TestStates.services(WEB));
            long failed = periodic.stats().failures();
            v4.simulate("*nat\n-D OUTPUT 1\nCOMMIT\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> rules(v4, "OUTPUT").size() == 1);
            assertThat(periodic.stats().failures()).as("the resync keeps running after failures").isEqualTo(failed);
        } finally {
            periodic.close();
        }
    }

    @Test
    void syncsNeverOverlap() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        IptablesBackend slow = new IptablesBackend() {
            @Override
            public IpFamily family() {
                return IpFamily.V4;
            }

            @Override
            public String description() {
                return "slow";
            }

            @Override
            public String save(String table) {
                return enter(() -> v4.save(table));
            }

            @Override
            public void restore(String input) {
                enter(() -> {
                    v4.restore(input);
                    return null;
                });
            }

            private <T> T enter(java.util.function.Supplier<T> call) {
                most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(2);
                    return call.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                } finally {
                    inside.decrementAndGet();
                }
            }
        };
        IptablesReconciler busy = reconciler(Backends.of(slow), Duration.ofMillis(1));
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try {
            busy.update(TestStates.services(WEB));
            busy.start();
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> calls = new java.util.ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int n = t;
                calls.add(callers.submit(() -> {
                    go.await();
                    for (int i = 0; i < 20; i++) {
                        if ((i + n) % 2 == 0) {
                            v4.simulate("*nat\n-F KEDGE-SERVICES\nCOMMIT\n");
                            busy.sync();
                        } else {
                            busy.update(TestStates.services(i % 4 == 1 ? WEB : DNS));
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> call : calls) {
                call.get(60, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
            busy.close();
        }
        assertThat(most.get()).as("at most one save or restore at any time").isEqualTo(1);
        assertThat(busy.stats().failures()).isZero();
    }

    @Test
    void stopKeepsTheRulesAndTheNextRunAppliesNothing() {
        IptablesReconciler first = reconciler(Backends.of(v4, v6), Duration.ofMillis(20));
        first.update(TestStates.services(WEB, DNS));
        first.start();
        first.stop();
        String installed = v4.dump(null);
        v4.clearRecords();

        IptablesReconciler next = reconciler(Backends.of(v4, v6), Duration.ofSeconds(30));
        assertThat(next.update(TestStates.services(WEB, DNS)).changed()).isFalse();
        assertThat(v4.restores()).isEmpty();
        assertThat(v4.dump(null)).isEqualTo(installed);
        next.close();
        first.close();
        assertThat(v4.dump(null)).doesNotContain("KEDGE");
    }

    @Test
    void closeAndCleanupAllRemoveEverythingOfTheOwnerOnly() {
        v4.simulate("*nat\n:KUBE-SERVICES - [0:0]\n-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\nCOMMIT\n");
        reconciler.update(TestStates.services(WEB));
        reconciler.close();
        assertThat(v4.dump(null)).doesNotContain("KEDGE").doesNotContain("kedge:").contains("-j KUBE-SERVICES");
        assertThatThrownBy(() -> reconciler.update(TestStates.services(WEB))).isInstanceOf(IllegalStateException.class);

        v4.simulate("*nat\n:MESH-A - [0:0]\n:KEDGE-B - [0:0]\n-A OUTPUT -m comment --comment \"mesh: x #0123456789abcdef\" -j MESH-A\n"
                + "-A OUTPUT -m comment --comment \"kedge: y #0123456789abcdef\" -j KEDGE-B\nCOMMIT\n");
        SyncReport report = IptablesReconciler.cleanupAll(Backends.of(v4), "MESH-");
        assertThat(report.trigger()).isEqualTo(Trigger.CLEANUP);
        assertThat(v4.dump("nat")).doesNotContain("MESH").contains("KEDGE-B").contains("kedge: y");
    }

    @Test
    void rejectsAnotherOwnersState() {
        DesiredState other = DesiredState.builder(Owner.of("MESH-")).rule(IpFamily.V4, "nat", "MESH-X", WEB).build();
        assertThatThrownBy(() -> reconciler.update(other)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MESH-");
        assertThatThrownBy(() -> IptablesReconciler.builder(Backends.of(v4)).resyncPeriod(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
