package io.kedge.iptables;

import io.kedge.iptables.backend.Backends;
import io.kedge.iptables.backend.IptablesBackend;
import io.kedge.iptables.plan.Planner;
import io.kedge.iptables.plan.RestorePlan;
import io.kedge.iptables.save.Ruleset;
import io.kedge.iptables.save.SaveParser;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the kernel's rules match a {@link DesiredState}: reads the relevant tables with
 * iptables-save, diffs ({@link Planner}), and applies the difference as one iptables-restore
 * {@code --noflush} transaction per family, only when something differs. A periodic resync repairs
 * what others change (rules deleted, tables flushed, kube-proxy's jumps inserted before ours).
 * Syncs never overlap: explicit calls and the resync thread take turns.
 *
 * <p>The first sync reads every table, so owned chains and jumps left anywhere by an earlier run
 * are removed; later syncs read only the tables desired now or at the previous sync.
 */
public final class IptablesReconciler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IptablesReconciler.class);
    public static final Duration DEFAULT_RESYNC_PERIOD = Duration.ofSeconds(30);
    /**
     * Transactions per family and sync. The second and third only happen if something changed the
     * rules between our read and our write; more than that means another tool fights us.
     */
    static final int MAX_TRANSACTIONS = 3;

    private final Backends backends;
    private final Owner owner;
    private final Duration resyncPeriod;
    private final SyncListener listener;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();

    /** Null until the first {@link #update}: before that a resync has nothing to enforce. */
    private volatile DesiredState desired;
    private DesiredState lastSynced;
    /** Per family, the tables to read; a missing entry means every table (nothing read yet). */
    private final Map<IpFamily, Set<String>> tablesToRead = new EnumMap<>(IpFamily.class);
    private ScheduledExecutorService resync;
    private boolean closed;

    /** Guards the counters, so that reading them never waits for a running sync. */
    private final Object statsLock = new Object();
    private long syncs;
    private long applies;
    private long repairs;
    private long failures;
    private String lastError;
    private Instant lastSync;
    private Instant lastApply;
    private Instant lastFailure;

    private IptablesReconciler(Builder builder) {
        this.backends = builder.backends;
        this.owner = builder.owner;
        this.resyncPeriod = builder.resyncPeriod;
        this.listener = builder.listener;
        this.clock = builder.clock;
    }

    public static Builder builder(Backends backends) {
        return new Builder(backends);
    }

    public Owner owner() {
        return owner;
    }

    public Backends backends() {
        return backends;
    }

    /** The desired state of the latest {@link #update}, or null. */
    public DesiredState desired() {
        return desired;
    }

    /**
     * Makes {@code next} the desired state and syncs at once. The desired state is kept even if the
     * sync fails, so the resync keeps trying.
     *
     * @throws IptablesException if the rules could not be applied (the installed ones are then unchanged)
     */
    public SyncReport update(DesiredState next) {
        Objects.requireNonNull(next, "desired state");
        if (!next.owner().equals(owner)) {
            throw new IllegalArgumentException("desired state of owner " + next.owner() + " given to the reconciler of " + owner);
        }
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the reconciler is closed");
            }
            desired = next;
            return run(Trigger.UPDATE);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks the kernel against the current desired state now and repairs any difference. Before the
     * first {@link #update} there is nothing to enforce and nothing is read.
     *
     * @throws IptablesException if the rules could not be read or applied
     */
    public SyncReport sync() {
        lock.lock();
        try {
            return run(Trigger.SYNC);
        } finally {
            lock.unlock();
        }
    }

    /** Starts the periodic resync on a daemon thread. Calling it again does nothing. */
    public void start() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the reconciler is closed");
            }
            if (resync != null) {
                return;
            }
            resync = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "iptables-resync");
                t.setDaemon(true);
                return t;
            });
            long period = resyncPeriod.toMillis();
            // Fixed delay on one thread: a slow resync delays the next instead of piling up.
            resync.scheduleWithFixedDelay(this::resyncQuietly, period, period, TimeUnit.MILLISECONDS);
        } finally {
            lock.unlock();
        }
    }

    private void resyncQuietly() {
        if (desired == null) {
            return;
        }
        lock.lock();
        try {
            run(Trigger.RESYNC);
        } catch (IptablesException e) {
            // Counted and reported in run(); the next resync tries again.
        } catch (RuntimeException e) {
            // An escaping exception would cancel the periodic task for good.
            log.error("iptables resync failed unexpectedly", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes every chain and jump of this owner from every table of both families (including those
     * of earlier runs). The desired state is forgotten, so a running resync stops enforcing it.
     */
    public SyncReport cleanup() {
        lock.lock();
        try {
            desired = null;
            lastSynced = null;
            return record(Trigger.CLEANUP, () -> removeAll(backends, owner, clock));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes every chain whose name starts with {@code chainPrefix}, every rule with that owner's
     * comment, and every rule pointing at such a chain, from every table of every family in
     * {@code backends}, e.g. at startup to clear what a crashed run left behind.
     */
    public static SyncReport cleanupAll(Backends backends, String chainPrefix) {
        return removeAll(backends, Owner.of(chainPrefix), Clock.systemUTC());
    }

    /**
     * Stops the periodic resync and leaves the rules in place, e.g. for a restart: the next process
     * with the same desired state finds its rules by their ids and applies nothing.
     */
    public void stop() {
        ScheduledExecutorService executor;
        lock.lock();
        try {
            executor = resync;
            resync = null;
        } finally {
            lock.unlock();
        }
        if (executor == null) {
            return;
        }
        // Let a running resync finish rather than interrupt it: its transaction is atomic anyway, but
        // a finished one leaves a clear log.
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("iptables resync did not stop within 30 s; interrupting it");
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the resync and removes everything of this owner's. Errors are logged, not thrown. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        stop();
        try {
            SyncReport report = cleanup();
            log.info("removed the iptables rules of {} ({} changes)", owner.chainPrefix(), report.changes().size());
        } catch (IptablesException e) {
            log.warn("could not remove the iptables rules of {}: {}", owner.chainPrefix(), e.getMessage());
        }
    }

    /** A snapshot of the counters. */
    public IptablesStats stats() {
        synchronized (statsLock) {
            return new IptablesStats(syncs, applies, repairs, failures, lastError, lastSync, lastApply, lastFailure);
        }
    }

    // ---- the sync itself; callers hold the lock ----

    private SyncReport run(Trigger trigger) {
        DesiredState target = desired;
        if (target == null) {
            return new SyncReport(trigger, clock.instant(), List.of(), 0);
        }
        SyncReport report = record(trigger, () -> reconcile(target, trigger));
        if (report.changed() && target.equals(lastSynced)) {
            synchronized (statsLock) {
                repairs++;
            }
        }
        lastSynced = target;
        return report;
    }

    @FunctionalInterface
    private interface Work {
        SyncReport run();
    }

    private SyncReport record(Trigger trigger, Work work) {
        SyncReport report;
        try {
            report = work.run();
        } catch (IptablesException e) {
            synchronized (statsLock) {
                failures++;
                lastError = e.getMessage();
                lastFailure = clock.instant();
            }
            log.warn("iptables {} failed: {}", trigger.name().toLowerCase(java.util.Locale.ROOT), e.getMessage());
            notify(() -> listener.failed(trigger, e));
            throw e;
        }
        synchronized (statsLock) {
            syncs++;
            applies += report.transactions();
            lastError = null;
            lastSync = report.at();
            if (report.changed()) {
                lastApply = report.at();
            }
        }
        if (report.changed()) {
            log.info("iptables {}: {} change(s) applied in {} transaction(s)", trigger.name().toLowerCase(java.util.Locale.ROOT),
                    report.changes().size(), report.transactions());
            report.changes().forEach(c -> log.info("  {}", c));
        }
        notify(() -> listener.synced(report));
        return report;
    }

    private static void notify(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.warn("iptables sync listener failed", e);
        }
    }

    private SyncReport reconcile(DesiredState target, Trigger trigger) {
        for (IpFamily family : target.families()) {
            backends.require(family); // fail before touching anything
        }
        List<Change> changes = new ArrayList<>();
        int transactions = 0;
        for (IptablesBackend backend : backends.all()) {
            IpFamily family = backend.family();
            Map<String, DesiredTable> wanted = target.tables(family);
            Set<String> tables = tablesToRead.containsKey(family) ? new TreeSet<>(tablesToRead.get(family)) : null;
            if (tables != null) {
                tables.addAll(wanted.keySet());
                if (tables.isEmpty()) {
                    continue;
                }
            }
            Outcome outcome;
            try {
                outcome = converge(backend, owner, wanted, tables);
            } catch (IptablesException e) {
                if (tables == null && wanted.isEmpty() && e.kind() == IptablesException.Kind.FAILED) {
                    // e.g. ip6tables installed on a kernel without IPv6: nothing of ours can be there either.
                    log.warn("cannot read {} ({}); not managing {} rules", backend.description(), e.getMessage(), family.command());
                    tablesToRead.put(family, new HashSet<>());
                    continue;
                }
                throw e;
            }
            changes.addAll(outcome.changes);
            transactions += outcome.transactions;
            tablesToRead.put(family, new HashSet<>(wanted.keySet()));
        }
        return new SyncReport(trigger, clock.instant(), changes, transactions);
    }

    private static SyncReport removeAll(Backends backends, Owner owner, Clock clock) {
        List<Change> changes = new ArrayList<>();
        int transactions = 0;
        for (IptablesBackend backend : backends.all()) {
            Outcome outcome = converge(backend, owner, Map.of(), null);
            changes.addAll(outcome.changes);
            transactions += outcome.transactions;
        }
        return new SyncReport(Trigger.CLEANUP, clock.instant(), changes, transactions);
    }

    private record Outcome(List<Change> changes, int transactions) {
    }

    /** Read, diff, apply until nothing differs; at most {@link #MAX_TRANSACTIONS} transactions. */
    private static Outcome converge(IptablesBackend backend, Owner owner, Map<String, DesiredTable> wanted, Set<String> tables) {
        List<Change> changes = new ArrayList<>();
        for (int transactions = 0; ; transactions++) {
            RestorePlan plan = Planner.plan(backend.family(), owner, wanted, read(backend, tables));
            if (plan.isEmpty()) {
                return new Outcome(changes, transactions);
            }
            if (transactions == MAX_TRANSACTIONS) {
                throw new IptablesException(IptablesException.Kind.NOT_CONVERGED, "the rules in " + backend.description()
                        + " still differ after " + MAX_TRANSACTIONS + " transactions (is another tool removing them?): " + plan.changes(), null);
            }
            backend.restore(plan.input());
            changes.addAll(plan.changes());
        }
    }

    private static Ruleset read(IptablesBackend backend, Set<String> tables) {
        try {
            if (tables == null) {
                return SaveParser.parse(backend.save(null));
            }
            Ruleset ruleset = Ruleset.EMPTY;
            for (String table : tables) {
                ruleset = ruleset.merge(SaveParser.parse(backend.save(table)));
            }
            return ruleset;
        } catch (SaveParser.SaveFormatException e) {
            throw new IptablesException(IptablesException.Kind.BAD_OUTPUT, backend.description() + ": " + e.getMessage(), e);
        }
    }

    /** Settings of a reconciler; only the backends are required. */
    public static final class Builder {
        private final Backends backends;
        private Owner owner = Owner.KEDGE;
        private Duration resyncPeriod = DEFAULT_RESYNC_PERIOD;
        private SyncListener listener = new SyncListener() {
        };
        private Clock clock = Clock.systemUTC();

        private Builder(Backends backends) {
            this.backends = Objects.requireNonNull(backends, "backends");
        }

        /** Whose rules these are (default {@link Owner#KEDGE}). */
        public Builder owner(Owner owner) {
            this.owner = Objects.requireNonNull(owner, "owner");
            return this;
        }

        /** How long after one resync the next starts (default 30 s). */
        public Builder resyncPeriod(Duration period) {
            if (period == null || period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("resync period must be positive (got " + period + ")");
            }
            this.resyncPeriod = period;
            return this;
        }

        public Builder listener(SyncListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** The clock for report and stats times (tests). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public IptablesReconciler build() {
            return new IptablesReconciler(this);
        }
    }
}
