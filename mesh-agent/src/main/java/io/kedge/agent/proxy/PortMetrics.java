package io.kedge.agent.proxy;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import java.util.concurrent.atomic.LongAdder;

/**
 * One Service port's metric data points, looked up once so that the data path only increments.
 */
public final class PortMetrics {
    private final ProxyMetrics metrics;
    final String[] labels;

    public final CounterDataPoint connections;
    public final GaugeDataPoint activeConnections;
    public final CounterDataPoint requests;
    /** HTTP requests in progress (exported as kedge_agent_proxy_requests_active when scraped). */
    public final LongAdder activeRequests = new LongAdder();
    public final CounterDataPoint bytesUpstream;
    public final CounterDataPoint bytesDownstream;
    public final CounterDataPoint connectFailures;
    public final CounterDataPoint retries;
    public final CounterDataPoint noEndpoint;
    public final CounterDataPoint sessions;
    public final GaugeDataPoint activeSessions;
    public final CounterDataPoint droppedDatagrams;

    PortMetrics(ProxyMetrics metrics, String service, String port, String protocol) {
        this.metrics = metrics;
        this.labels = new String[] {service, port, protocol};
        connections = metrics.connections.labelValues(labels);
        activeConnections = metrics.activeConnections.labelValues(labels);
        requests = metrics.requests.labelValues(labels);
        bytesUpstream = metrics.bytes.labelValues(service, port, protocol, "upstream");
        bytesDownstream = metrics.bytes.labelValues(service, port, protocol, "downstream");
        connectFailures = metrics.connectFailures.labelValues(labels);
        retries = metrics.retries.labelValues(labels);
        noEndpoint = metrics.noEndpoint.labelValues(labels);
        sessions = metrics.sessions.labelValues(labels);
        activeSessions = metrics.activeSessions.labelValues(labels);
        droppedDatagrams = metrics.droppedDatagrams.labelValues(labels);
    }

    /** Removes this port's series (its listener is gone). */
    void remove() {
        metrics.connections.remove(labels);
        metrics.activeConnections.remove(labels);
        metrics.requests.remove(labels);
        metrics.removed(this);
        metrics.bytes.remove(labels[0], labels[1], labels[2], "upstream");
        metrics.bytes.remove(labels[0], labels[1], labels[2], "downstream");
        metrics.connectFailures.remove(labels);
        metrics.retries.remove(labels);
        metrics.noEndpoint.remove(labels);
        metrics.sessions.remove(labels);
        metrics.activeSessions.remove(labels);
        metrics.droppedDatagrams.remove(labels);
    }
}
