package io.kedge.agent.rules;

import io.kedge.agent.proxy.ProxiedPort;
import io.kedge.iptables.DesiredState;
import io.kedge.iptables.IptablesException;
import io.kedge.iptables.IptablesReconciler;
import io.kedge.iptables.IptablesStats;
import io.kedge.iptables.SyncListener;
import io.kedge.iptables.SyncReport;
import io.kedge.iptables.Trigger;
import io.kedge.iptables.backend.Backends;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the node's ClusterIP DNAT rules equal to what the proxy serves: each change of the proxied
 * ports becomes a new desired state (reconciled by the iptables library, which also repairs drift
 * every resync period); closing removes every rule and chain of ours.
 */
public final class ServiceRulesManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceRulesManager.class);

    private final IptablesReconciler reconciler;
    private final Gauge rules;
    private final Counter syncs;
    private final Counter failures;
    private volatile int ruleCount;

    public ServiceRulesManager(Backends backends, Duration resyncPeriod, PrometheusRegistry registry) {
        rules = Gauge.builder().name("kedge_agent_iptables_rules").help("DNAT rules installed for ClusterIP ports").register(registry);
        syncs = Counter.builder().name("kedge_agent_iptables_syncs_total")
                .help("iptables syncs of the service rules, by whether they changed anything").labelNames("changed").register(registry);
        failures = Counter.builder().name("kedge_agent_iptables_failures_total").help("iptables syncs that failed").register(registry);
        reconciler = IptablesReconciler.builder(backends).owner(ServiceRules.OWNER).resyncPeriod(resyncPeriod)
                .listener(new SyncListener() {
                    @Override
                    public void synced(SyncReport report) {
                        syncs.labelValues(String.valueOf(report.changed())).inc();
                    }

                    @Override
                    public void failed(Trigger trigger, IptablesException error) {
                        failures.inc();
                        log.warn("iptables sync ({}) failed: {}", trigger, error.getMessage());
                    }
                }).build();
    }

    /** Installs the chain and jumps (no service rules yet) and starts the periodic resync. */
    public void start() {
        apply(List.of());
        reconciler.start();
    }

    /** Makes the installed rules match {@code ports}. Failures are logged and retried at the next resync. */
    public void apply(List<ProxiedPort> ports) {
        DesiredState desired = ServiceRules.desired(ports);
        int count = desired.tables().values().stream().mapToInt(t -> t.chains().values().stream().mapToInt(List::size).sum()).sum();
        try {
            reconciler.update(desired);
            ruleCount = count;
            rules.set(count);
        } catch (IptablesException e) {
            log.warn("could not install the service rules ({} rules): {}", count, e.getMessage());
        }
    }

    public int ruleCount() {
        return ruleCount;
    }

    public IptablesStats stats() {
        return reconciler.stats();
    }

    /** Why the rules may be wrong (the latest sync failed), or null. */
    public String healthProblem() {
        IptablesStats s = reconciler.stats();
        return s.lastError() == null ? null : "iptables: " + s.lastError();
    }

    @Override
    public void close() {
        reconciler.close();
    }
}
