package io.kedge.edge;

import io.kedge.common.admin.AdminServer;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.config.ConfigException;
import io.kedge.common.kubeapi.ResourceTypes;
import io.kedge.common.kubeapi.server.KubeApiServer;
import io.kedge.edge.config.EdgecoreConfig;
import io.kedge.edge.hub.EdgeHub;
import io.kedge.edge.join.EdgeCredentials;
import io.kedge.edge.meta.MetaManager;
import io.kedge.edge.meta.MetaStore;
import io.kedge.edge.metaserver.LocalView;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.kedge.common.lifecycle.StopOrder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edgecore-lite process: the node's store and its view, the metaServer on 127.0.0.1:10550 (served
 * from the store whether or not the cloud is reachable), the MetaManager and the EdgeHub, and the
 * admin endpoint. Started in that order so the metaServer answers before the first cloud message.
 */
public final class Edgecore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Edgecore.class);

    private final EdgecoreConfig config;
    private final PrometheusRegistry metrics = new PrometheusRegistry();
    private final StopOrder stopOrder = new StopOrder();
    private KubeApiServer metaServer;
    private EdgeHub hub;
    private LocalView view;
    private CertificateRenewal renewal;
    private AdminServer admin;
    private boolean closed;

    public Edgecore(EdgecoreConfig config) {
        this.config = config;
    }

    public void start() throws Exception {
        try {
            EdgeCredentials credentials = EdgeCredentials.load(config.certDir());
            MetaStore store = new MetaStore(Path.of(config.dataDir()));
            stopOrder.push(store);
            view = new LocalView(10_000);
            stopOrder.push(view);
            MetaManager meta = new MetaManager(store, view, metrics);
            meta.start();
            stopOrder.push(meta);
            GaugeWithCallback.builder().name("kedge_metaserver_objects").help("Objects the metaServer serves")
                    .callback(cb -> cb.call(view.objectCount())).register(metrics);
            try {
                metaServer = KubeApiServer.builder(view, ResourceTypes.builtins())
                        .listen(hostPort(config.metaServer().listen()))
                        .gitVersion("v1.32.0+kedge-edge-" + VersionProvider.version())
                        .metrics(metrics)
                        .maxThreads(16)
                        .start();
            } catch (IOException e) {
                throw new ConfigException("metaServer.listen", config.metaServer().listen(), "cannot listen: " + e.getMessage());
            }
            stopOrder.push(metaServer);
            hub = new EdgeHub(config.cloudHub(), config.nodeName(), credentials, meta, metrics);
            hub.start();
            stopOrder.push(hub);
            renewal = new CertificateRenewal(config, credentials, hub, metrics);
            renewal.start();
            stopOrder.push(renewal);
            try {
                admin = new AdminServer(hostPort(config.admin().listen()), metrics);
            } catch (IOException e) {
                throw new ConfigException("admin.listen", config.admin().listen(), "cannot listen: " + e.getMessage());
            }
            stopOrder.push(admin);
            // Ready means serving the node's copy: being offline is a state edgecore-lite is built for.
            admin.check("metaServer", () -> metaServer == null ? "not started" : null);
            admin.check("certificate", renewal::problem);
            admin.json("/debug/status", this::status);
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("version", VersionProvider.version());
        s.put("node", config.nodeName());
        s.put("cloud", config.cloudHub().server());
        s.put("connected", hub != null && hub.connected());
        s.put("lastError", hub == null ? null : hub.lastError());
        s.put("metaServer", metaServer == null ? null : metaServer.url());
        s.put("objects", view == null ? 0 : view.objectCount());
        return s;
    }

    public KubeApiServer metaServer() {
        return metaServer;
    }

    public EdgeHub hub() {
        return hub;
    }

    public AdminServer admin() {
        return admin;
    }

    static InetSocketAddress hostPort(String text) {
        int colon = text.lastIndexOf(':');
        return new InetSocketAddress(text.substring(0, colon).replace("[", "").replace("]", ""), Integer.parseInt(text.substring(colon + 1)));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopOrder.stopAll();
    }
}
