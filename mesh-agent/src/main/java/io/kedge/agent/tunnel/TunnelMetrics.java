package io.kedge.agent.tunnel;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The tunnel's Prometheus metrics: tunnels by path, setup time, bytes each way, failures, refusals, path upgrades, signaling sessions. */
final class TunnelMetrics {
    private final Gauge tunnels;
    private final Histogram setupSeconds;
    private final Counter failures;
    private final Counter setupRetries;
    private final Counter refusedStreams;
    private final Counter upgrades;
    private final Gauge signalingSessions;
    private final CounterDataPoint sentToTargets;
    private final Counter streamsOpened;
    private final Counter directTcpProbes;
    private final CounterDataPoint receivedFromTargets;

    TunnelMetrics(PrometheusRegistry registry) {
        tunnels = Gauge.builder().name("kedge_tunnels").help("Open tunnels, by path").labelNames("path").register(registry);
        setupSeconds = Histogram.builder().name("kedge_tunnel_setup_seconds")
                .help("From the first signaling message to an open QUIC connection").classicUpperBounds(0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30)
                .register(registry);
        failures = Counter.builder().name("kedge_tunnel_failures_total").help("Tunnels that could not be set up, by stage")
                .labelNames("stage").register(registry);
        setupRetries = Counter.builder().name("kedge_tunnel_setup_retries_total")
                .help("Setups offered again after ICE failed, within one wait for the peer").register(registry);
        refusedStreams = Counter.builder().name("kedge_tunnel_refused_streams_total")
                .help("Streams from peers this agent refused or could not dial, by reason").labelNames("reason").register(registry);
        upgrades = Counter.builder().name("kedge_tunnel_upgrades_total")
                .help("Tries of relayed tunnels for a direct path, by result (success, or why not)").labelNames("result").register(registry);
        signalingSessions = Gauge.builder().name("kedge_tunnel_signaling_sessions").help("mesh-servers this agent is registered with")
                .register(registry);
        streamsOpened = Counter.builder().name("kedge_tunnel_streams_opened_total")
                .help("Streams this agent opened to peers, by lane: quic (the tunnel's connection) or tcp (a direct TLS connection)")
                .labelNames("lane").register(registry);
        directTcpProbes = Counter.builder().name("kedge_tunnel_direct_tcp_probes_total")
                .help("Looks for a direct TCP lane to a peer, by result (open, unreachable, none_offered)").labelNames("result")
                .register(registry);
        Counter bytes = Counter.builder().name("kedge_tunnel_target_bytes_total")
                .help("Bytes between tunnel streams from peers and this node's endpoints").labelNames("direction").register(registry);
        sentToTargets = bytes.labelValues("to_endpoint");
        receivedFromTargets = bytes.labelValues("from_endpoint");
    }

    void streamOpened(String lane) {
        streamsOpened.labelValues(lane).inc();
    }

    void directTcpProbe(String result) {
        directTcpProbes.labelValues(result).inc();
    }

    void tunnelOpened(PathKind path, double setupSeconds) {
        tunnels.labelValues(path.label()).inc();
        this.setupSeconds.observe(setupSeconds);
    }

    void tunnelClosed(PathKind path) {
        tunnels.labelValues(path.label()).dec();
    }

    /** A tunnel moved from path {@code from} to {@code to} (a successful upgrade). */
    void tunnelMoved(PathKind from, PathKind to) {
        tunnels.labelValues(from.label()).dec();
        tunnels.labelValues(to.label()).inc();
    }

    void upgrade(String result) {
        upgrades.labelValues(result).inc();
    }

    void failure(String stage) {
        failures.labelValues(stage).inc();
    }

    void setupRetry() {
        setupRetries.inc();
    }

    void refusedStream(String reason) {
        refusedStreams.labelValues(reason).inc();
    }

    void signalingSessions(int n) {
        signalingSessions.set(n);
    }

    CounterDataPoint bytesSentToTargets() {
        return sentToTargets;
    }

    CounterDataPoint bytesReceivedFromTargets() {
        return receivedFromTargets;
    }
}
