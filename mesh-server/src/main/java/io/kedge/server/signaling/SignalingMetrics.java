package io.kedge.server.signaling;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** Signaling's Prometheus metrics: registered agents, registrations by outcome, forwarded and refused messages. */
public final class SignalingMetrics {
    private final Counter registrations;
    private final Counter forwarded;
    private final Counter refused;

    public SignalingMetrics(PrometheusRegistry registry, AgentRegistry agents) {
        GaugeWithCallback.builder().name("kedge_signaling_agents").help("Agents currently registered")
                .callback(cb -> cb.call(agents.size())).register(registry);
        registrations = Counter.builder().name("kedge_signaling_registrations_total").help("Registration attempts, by outcome")
                .labelNames("outcome").register(registry);
        forwarded = Counter.builder().name("kedge_signaling_forwarded_total").help("Messages forwarded between agents, by type")
                .labelNames("type").register(registry);
        refused = Counter.builder().name("kedge_signaling_refused_total").help("Messages refused, by reason")
                .labelNames("reason").register(registry);
    }

    public void registration(String outcome) {
        registrations.labelValues(outcome).inc();
    }

    public void forwarded(String type) {
        forwarded.labelValues(type).inc();
    }

    public void refused(String reason) {
        refused.labelValues(reason).inc();
    }
}
