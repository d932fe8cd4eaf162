package io.kedge.agent.proxy;

import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.tunnel.Tunnel;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/** A ProxyManager on 127.0.0.1 with OS-chosen ports and its own metrics registry. */
final class ProxyHarness implements AutoCloseable {
    final PrometheusRegistry registry = new PrometheusRegistry();
    final ProxyManager proxy;

    ProxyHarness(ProxyConfig config, Tunnel tunnel) {
        proxy = new ProxyManager(config, TestCatalogs.NODE, tunnel, registry);
    }

    ProxyHarness(ProxyConfig config) {
        this(config, Tunnel.NONE);
    }

    /** Loopback, two I/O threads, quick connect timeout and backoff. */
    static ProxyConfig.Builder config() {
        return ProxyConfig.builder().listenAddress("127.0.0.1").ioThreads(2).connectTimeout(Duration.ofSeconds(2))
                .retries(3, Duration.ofMillis(50));
    }

    void reconcile(Catalog catalog) {
        proxy.reconcile(catalog);
    }

    InetSocketAddress address(String service, String portName, Protocol protocol) {
        return proxy.listenerAddress(ServiceKey.of("default", service), portName, protocol)
                .orElseThrow(() -> new AssertionError("no listener for " + service + ":" + portName));
    }

    /** The value of a counter or gauge series of this proxy, 0 when the series does not exist. */
    double metric(String name, String service, String protocol) {
        String wanted = name.endsWith("_total") ? name.substring(0, name.length() - 6) : name;
        for (MetricSnapshot s : registry.scrape()) {
            if (!s.getMetadata().getPrometheusName().equals(wanted)) {
                continue;
            }
            for (DataPointSnapshot dp : s.getDataPoints()) {
                if (("default/" + service).equals(dp.getLabels().get("service")) && protocol.equals(dp.getLabels().get("protocol"))
                        && dp.getLabels().get("direction") == null) {
                    return dp instanceof CounterSnapshot.CounterDataPointSnapshot c ? c.getValue()
                            : ((GaugeSnapshot.GaugeDataPointSnapshot) dp).getValue();
                }
            }
        }
        return 0;
    }

    /** Whether any series of the proxy's per-port metrics still names {@code service}. */
    boolean hasSeriesFor(String service) {
        for (MetricSnapshot s : registry.scrape()) {
            for (DataPointSnapshot dp : s.getDataPoints()) {
                if (("default/" + service).equals(dp.getLabels().get("service"))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Open file descriptors of this JVM (sockets included): how tests see leaks. */
    static long openFileDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        proxy.close();
    }
}
