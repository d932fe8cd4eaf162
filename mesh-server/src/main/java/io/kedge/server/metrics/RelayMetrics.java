package io.kedge.server.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * mesh-server's Prometheus metrics. Data points on the relaying path are looked up once here, so
 * counting a packet is an add on a striped counter, not a label lookup.
 */
public final class RelayMetrics {
    /** Why a relayed packet was not delivered. */
    public enum Drop {
        NO_ALLOCATION, NO_PERMISSION, NO_CHANNEL, BANDWIDTH_QUOTA, CLIENT_BACKPRESSURE, NO_SUCH_RELAYED_ADDRESS, SEND_FAILED;

        String label() {
            return name().toLowerCase();
        }
    }

    private final Gauge allocations;
    private final Gauge permissions;
    private final Gauge channels;
    private final Gauge tcpConnections;
    private final CounterDataPoint bytesToPeer;
    private final CounterDataPoint bytesToClient;
    private final CounterDataPoint packetsToPeer;
    private final CounterDataPoint packetsToClient;
    private final Counter drops;
    private final Counter authFailures;
    private final Counter authChallenges;
    private final Counter quotaRejections;
    private final Counter requests;
    private final Counter bindingRequests;
    private final Counter malformed;
    private final Counter peerDenials;
    private final Counter refusalsUnanswered;

    public RelayMetrics(PrometheusRegistry registry) {
        allocations = Gauge.builder().name("kedge_turn_allocations").help("Allocations currently held")
                .labelNames("transport").register(registry);
        permissions = Gauge.builder().name("kedge_turn_permissions").help("Permissions currently installed").register(registry);
        channels = Gauge.builder().name("kedge_turn_channels").help("Channel bindings currently installed").register(registry);
        tcpConnections = Gauge.builder().name("kedge_turn_client_connections").help("Open TCP and TLS client connections")
                .labelNames("transport").register(registry);
        Counter bytes = Counter.builder().name("kedge_turn_relayed_bytes_total")
                .help("Application bytes relayed (without STUN or ChannelData framing)").labelNames("direction").register(registry);
        Counter packets = Counter.builder().name("kedge_turn_relayed_packets_total").help("Datagrams relayed")
                .labelNames("direction").register(registry);
        bytesToPeer = bytes.labelValues("to_peer");
        bytesToClient = bytes.labelValues("to_client");
        packetsToPeer = packets.labelValues("to_peer");
        packetsToClient = packets.labelValues("to_client");
        drops = Counter.builder().name("kedge_turn_dropped_packets_total").help("Datagrams not relayed, by reason")
                .labelNames("reason").register(registry);
        authFailures = Counter.builder().name("kedge_turn_auth_failures_total")
                .help("Requests refused for their credentials, by reason").labelNames("reason").register(registry);
        authChallenges = Counter.builder().name("kedge_turn_auth_challenges_total")
                .help("401 challenges and 438 stale-nonce answers in ordinary authentication").labelNames("code").register(registry);
        quotaRejections = Counter.builder().name("kedge_turn_quota_rejections_total")
                .help("Allocations refused for quota (486) or capacity (508)").labelNames("kind").register(registry);
        requests = Counter.builder().name("kedge_turn_requests_total").help("TURN requests answered, by method and result")
                .labelNames("method", "result").register(registry);
        bindingRequests = Counter.builder().name("kedge_stun_binding_requests_total").help("STUN Binding requests answered")
                .labelNames("transport").register(registry);
        malformed = Counter.builder().name("kedge_stun_malformed_total")
                .help("Packets dropped or answered with 400 because they were malformed").labelNames("transport").register(registry);
        peerDenials = Counter.builder().name("kedge_turn_peer_denials_total")
                .help("Permissions and channel bindings refused by the peer policy (403)").register(registry);
        refusalsUnanswered = Counter.builder().name("kedge_turn_refusals_unanswered_total")
                .help("Refused permissions and channel bindings left unanswered: beyond the rate one allocation gets answers for")
                .register(registry);
        for (Drop d : Drop.values()) {
            drops.labelValues(d.label());
        }
    }

    public void allocationOpened(String transport) {
        allocations.labelValues(transport).inc();
    }

    public void allocationClosed(String transport) {
        allocations.labelValues(transport).dec();
    }

    public void permissions(int delta) {
        permissions.inc(delta);
    }

    public void channels(int delta) {
        channels.inc(delta);
    }

    public void connectionOpened(String transport) {
        tcpConnections.labelValues(transport).inc();
    }

    public void connectionClosed(String transport) {
        tcpConnections.labelValues(transport).dec();
    }

    public void relayedToPeer(int bytes) {
        bytesToPeer.inc(bytes);
        packetsToPeer.inc();
    }

    public void relayedToClient(int bytes) {
        bytesToClient.inc(bytes);
        packetsToClient.inc();
    }

    public void dropped(Drop reason) {
        drops.labelValues(reason.label()).inc();
    }

    public void authFailure(String reason) {
        authFailures.labelValues(reason).inc();
    }

    public void authChallenge(int code) {
        authChallenges.labelValues(String.valueOf(code)).inc();
    }

    public void quotaRejection(String kind) {
        quotaRejections.labelValues(kind).inc();
    }

    public void request(String method, String result) {
        requests.labelValues(method, result).inc();
    }

    public void bindingRequest(String transport) {
        bindingRequests.labelValues(transport).inc();
    }

    public void malformed(String transport) {
        malformed.labelValues(transport).inc();
    }

    public void peerDenied() {
        peerDenials.inc();
    }

    public void refusalUnanswered() {
        refusalsUnanswered.inc();
    }

    // Read back for tests and the admin state endpoint.

    public long refusalsUnanswered() {
        return (long) refusalsUnanswered.get();
    }

    public double allocations() {
        return allocations.collect().getDataPoints().stream().mapToDouble(d -> d.getValue()).sum();
    }

    public double permissions() {
        return permissions.get();
    }

    public double channels() {
        return channels.get();
    }

    public long relayedBytes(boolean toPeer) {
        return (long) (toPeer ? bytesToPeer.get() : bytesToClient.get());
    }

    public long relayedPackets(boolean toPeer) {
        return (long) (toPeer ? packetsToPeer.get() : packetsToClient.get());
    }

    public long drops(Drop reason) {
        return (long) drops.labelValues(reason.label()).get();
    }

    public long authFailures(String reason) {
        return (long) authFailures.labelValues(reason).get();
    }

    public long quotaRejections(String kind) {
        return (long) quotaRejections.labelValues(kind).get();
    }
}
