package io.kedge.cloud.config;

import static io.kedge.common.config.ConfigException.require;

import io.kedge.common.config.YamlConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * cloudcore-lite's configuration file. Every key is optional; the defaults run the standalone mode on
 * one machine: the embedded store with its Kubernetes API on 127.0.0.1:6443 (plain HTTP, loopback only)
 * and the endpoints controller. {@code modules} has one entry per module, as KubeEdge's cloudcore.yaml
 * does; modules added later (cloudHub, bootstrap, syncController) take their place beside these.
 *
 * <pre>
 * dataDir: /var/lib/kedge-cloudcore
 * admin: {listen: 127.0.0.1:10561}
 * modules:
 *   standalone:
 *     enable: true
 *     listen: 127.0.0.1:6443
 *     serviceClusterIPRange: 198.18.0.0/16
 *     tls: {certFile: server.crt, keyFile: server.key}
 *     tokenFile: tokens.txt
 *   endpointsController: {enable: true, resyncSeconds: 300}
 *   # cluster mode instead of standalone (standalone.enable: false):
 *   cluster: {enable: true, kubeconfig: /etc/kedge/kubeconfig, syncRecords: objectSync, installCrds: false,
 *             objectSyncMaxPending: 100000, objectSyncGcSeconds: 600}
 * </pre>
 */
public record CloudcoreConfig(String dataDir, Admin admin, Modules modules) {
    public static final String DEFAULT_DATA_DIR = "/var/lib/kedge-cloudcore";

    public CloudcoreConfig {
        dataDir = dataDir == null || dataDir.isBlank() ? DEFAULT_DATA_DIR : dataDir;
        admin = admin == null ? Admin.DEFAULT : admin;
        modules = modules == null ? Modules.DEFAULT : modules;
    }

    public static CloudcoreConfig defaults() {
        return new CloudcoreConfig(null, null, null);
    }

    public static CloudcoreConfig load(Path file) {
        return YamlConfig.load(file, CloudcoreConfig.class);
    }

    /** Health, readiness and Prometheus metrics. */
    public record Admin(String listen) {
        public static final Admin DEFAULT = new Admin(null);

        public Admin {
            listen = listen == null ? "127.0.0.1:10561" : listen;
            requireHostPort("listen", listen);
        }
    }

    public record Modules(Standalone standalone, EndpointsController endpointsController, CloudHub cloudHub,
                          SyncController syncController, Cluster cluster) {
        public static final Modules DEFAULT = new Modules(null, null, null, null, null);

        public Modules {
            standalone = standalone == null ? Standalone.DEFAULT : standalone;
            endpointsController = endpointsController == null ? EndpointsController.DEFAULT : endpointsController;
            cloudHub = cloudHub == null ? CloudHub.DEFAULT : cloudHub;
            syncController = syncController == null ? SyncController.DEFAULT : syncController;
            cluster = cluster == null ? Cluster.DEFAULT : cluster;
        }

        public Modules(Standalone standalone, EndpointsController endpointsController) {
            this(standalone, endpointsController, null, null, null);
        }

        public Modules(Standalone standalone, EndpointsController endpointsController, CloudHub cloudHub, SyncController syncController) {
            this(standalone, endpointsController, cloudHub, syncController, null);
        }
    }

    /**
     * Cluster mode: edges receive what a real Kubernetes API holds (read through informers) instead of
     * the embedded store. {@code kubeconfig} or {@code master}; neither: in-cluster or ~/.kube/config.
     * Needs {@code standalone.enable: false} (one source of truth).
     *
     * <p>{@code syncRecords}: where the versions edges acknowledged are kept: {@code objectSync} (the
     * default) in KubeEdge's ObjectSync/ClusterObjectSync resources when the cluster serves them, else
     * (one log line) in SQLite in {@code dataDir}; {@code sqlite} always in SQLite. {@code installCrds}:
     * install those two CRDs at start when they are missing. {@code objectSyncMaxPending}: record
     * changes that may wait while the API fails; {@code objectSyncGcSeconds}: how often records of nodes
     * that no longer exist are removed.
     */
    public record Cluster(Boolean enable, String kubeconfig, String master, String syncRecords, Boolean installCrds,
                          Integer objectSyncMaxPending, Integer objectSyncGcSeconds) {
        public static final Cluster DEFAULT = new Cluster(null, null, null);

        public Cluster(Boolean enable, String kubeconfig, String master) {
            this(enable, kubeconfig, master, null, null, null, null);
        }

        public Cluster {
            enable = enable != null && enable;
            syncRecords = syncRecords == null ? "objectSync" : syncRecords;
            installCrds = installCrds != null && installCrds;
            objectSyncMaxPending = objectSyncMaxPending == null ? 100_000 : objectSyncMaxPending;
            objectSyncGcSeconds = objectSyncGcSeconds == null ? 600 : objectSyncGcSeconds;
            require(master == null || master.matches("https?://.+"), "master", master, "must be an http(s) URL");
            require(syncRecords.equals("objectSync") || syncRecords.equals("sqlite"), "syncRecords", syncRecords,
                    "must be objectSync or sqlite");
            require(objectSyncMaxPending >= 100 && objectSyncMaxPending <= 10_000_000, "objectSyncMaxPending", objectSyncMaxPending,
                    "must be between 100 and 10000000");
            require(objectSyncGcSeconds >= 10 && objectSyncGcSeconds <= 7 * 86_400, "objectSyncGcSeconds", objectSyncGcSeconds,
                    "must be between 10 and 604800");
        }

        public Cluster withSource(Boolean enable, String kubeconfig, String master, Boolean installCrds) {
            return new Cluster(enable, kubeconfig, master, syncRecords, installCrds, objectSyncMaxPending, objectSyncGcSeconds);
        }
    }

    /**
     * The cloud-edge channel: CloudHub (WebSocket over mutual TLS, {@code listen}), the bootstrap
     * endpoint ({@code httpsListen}: CA, node certificates for join tokens) and node lifecycle. Off
     * unless enabled; {@code advertiseAddress} lists the addresses (IPs or DNS names) edges dial, which
     * become the SANs of the server certificate.
     */
    public record CloudHub(Boolean enable, List<String> advertiseAddress, String listen, String httpsListen, Integer maxSessions,
                           Integer keepaliveTimeoutSeconds, Integer maxMessageBytes, Integer nodeGraceSeconds,
                           Integer tokenValidityHours, Integer tokenRefreshHours, Integer edgeCertificateDays) {
        public static final CloudHub DEFAULT = new CloudHub(null, null, null, null, null, null, null, null, null, null, null);

        public CloudHub {
            enable = enable != null && enable;
            advertiseAddress = advertiseAddress == null ? List.of() : List.copyOf(advertiseAddress);
            listen = listen == null ? "0.0.0.0:10000" : listen;
            httpsListen = httpsListen == null ? "0.0.0.0:10002" : httpsListen;
            maxSessions = maxSessions == null ? 10_000 : maxSessions;
            keepaliveTimeoutSeconds = keepaliveTimeoutSeconds == null ? 30 : keepaliveTimeoutSeconds;
            maxMessageBytes = maxMessageBytes == null ? 8 * 1024 * 1024 : maxMessageBytes;
            nodeGraceSeconds = nodeGraceSeconds == null ? 40 : nodeGraceSeconds;
            tokenValidityHours = tokenValidityHours == null ? 24 : tokenValidityHours;
            tokenRefreshHours = tokenRefreshHours == null ? 12 : tokenRefreshHours;
            edgeCertificateDays = edgeCertificateDays == null ? 365 : edgeCertificateDays;
            requireHostPort("listen", listen);
            requireHostPort("httpsListen", httpsListen);
            for (int i = 0; i < advertiseAddress.size(); i++) {
                String a = advertiseAddress.get(i);
                require(a != null && a.matches("[A-Za-z0-9.:-]{1,253}"), "advertiseAddress[" + i + "]", a,
                        "must be an IP address or a DNS name");
            }
            require(maxSessions >= 1 && maxSessions <= 1_000_000, "maxSessions", maxSessions, "must be between 1 and 1000000");
            require(keepaliveTimeoutSeconds >= 5 && keepaliveTimeoutSeconds <= 3600, "keepaliveTimeoutSeconds", keepaliveTimeoutSeconds,
                    "must be between 5 and 3600");
            require(maxMessageBytes >= 64 * 1024 && maxMessageBytes <= 64 * 1024 * 1024, "maxMessageBytes", maxMessageBytes,
                    "must be between 65536 and 67108864");
            require(nodeGraceSeconds >= 5 && nodeGraceSeconds <= 86_400, "nodeGraceSeconds", nodeGraceSeconds, "must be between 5 and 86400");
            require(tokenValidityHours >= 1 && tokenValidityHours <= 24 * 365, "tokenValidityHours", tokenValidityHours,
                    "must be between 1 and 8760");
            require(tokenRefreshHours >= 1 && tokenRefreshHours < tokenValidityHours, "tokenRefreshHours", tokenRefreshHours,
                    "must be at least 1 and less than tokenValidityHours (" + tokenValidityHours + ")");
            require(edgeCertificateDays >= 1 && edgeCertificateDays <= 3650, "edgeCertificateDays", edgeCertificateDays,
                    "must be between 1 and 3650");
        }
    }

    /**
     * Reliable delivery to edge nodes: send window per node, ACK timeout, tries before backing off,
     * reconcile period, which Node objects a node receives ({@code own}, as KubeEdge, or {@code all}), and
     * how many messages may be unacknowledged across all nodes ({@code maxInFlight}).
     */
    public record SyncController(Integer window, Integer ackTimeoutSeconds, Integer retries, Integer backoffSeconds,
                                 Integer reconcileSeconds, String nodeObjects, Integer maxInFlight) {
        public static final SyncController DEFAULT = new SyncController(null, null, null, null, null, null, null);

        public SyncController(Integer window, Integer ackTimeoutSeconds, Integer retries, Integer backoffSeconds, Integer reconcileSeconds) {
            this(window, ackTimeoutSeconds, retries, backoffSeconds, reconcileSeconds, null, null);
        }

        public SyncController {
            window = window == null ? 128 : window;
            ackTimeoutSeconds = ackTimeoutSeconds == null ? 5 : ackTimeoutSeconds;
            retries = retries == null ? 5 : retries;
            backoffSeconds = backoffSeconds == null ? 10 : backoffSeconds;
            reconcileSeconds = reconcileSeconds == null ? 5 : reconcileSeconds;
            nodeObjects = nodeObjects == null ? "own" : nodeObjects;
            maxInFlight = maxInFlight == null ? 20_000 : maxInFlight;
            require(maxInFlight >= 1 && maxInFlight <= 10_000_000, "maxInFlight", maxInFlight, "must be between 1 and 10000000");
            require(nodeObjects.equals("own") || nodeObjects.equals("all"), "nodeObjects", nodeObjects, "must be own or all");
            require(window >= 1 && window <= 100_000, "window", window, "must be between 1 and 100000");
            require(ackTimeoutSeconds >= 1 && ackTimeoutSeconds <= 600, "ackTimeoutSeconds", ackTimeoutSeconds, "must be between 1 and 600");
            require(retries >= 1 && retries <= 100, "retries", retries, "must be between 1 and 100");
            require(backoffSeconds >= 1 && backoffSeconds <= 3600, "backoffSeconds", backoffSeconds, "must be between 1 and 3600");
            require(reconcileSeconds >= 1 && reconcileSeconds <= 3600, "reconcileSeconds", reconcileSeconds, "must be between 1 and 3600");
        }
    }

    /**
     * The embedded store (SQLite in {@code dataDir}) and its Kubernetes-compatible API. TLS when
     * {@code tls} names a PEM certificate (chain) and key; bearer tokens when {@code tokenFile} names a
     * file of tokens (one per line, or Kubernetes' {@code token,user,uid} CSV).
     */
    public record Standalone(Boolean enable, String listen, String serviceClusterIPRange, Boolean autoCreateNamespaces,
                             Integer eventWindow, Long maxBodyBytes, Integer maxWatchSeconds, Tls tls, String tokenFile) {
        public static final Standalone DEFAULT = new Standalone(null, null, null, null, null, null, null, null, null);

        public Standalone {
            enable = enable == null || enable;
            listen = listen == null ? "127.0.0.1:6443" : listen;
            serviceClusterIPRange = serviceClusterIPRange == null ? "198.18.0.0/16" : serviceClusterIPRange;
            autoCreateNamespaces = autoCreateNamespaces != null && autoCreateNamespaces;
            eventWindow = eventWindow == null ? 10_000 : eventWindow;
            maxBodyBytes = maxBodyBytes == null ? 3L * 1024 * 1024 : maxBodyBytes;
            maxWatchSeconds = maxWatchSeconds == null ? 1800 : maxWatchSeconds;
            requireHostPort("listen", listen);
            require(serviceClusterIPRange.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}"), "serviceClusterIPRange", serviceClusterIPRange,
                    "must be an IPv4 CIDR such as 198.18.0.0/16");
            require(eventWindow >= 100 && eventWindow <= 1_000_000, "eventWindow", eventWindow, "must be between 100 and 1000000");
            require(maxBodyBytes >= 1024 && maxBodyBytes <= 64L * 1024 * 1024, "maxBodyBytes", maxBodyBytes,
                    "must be between 1024 and 67108864");
            require(maxWatchSeconds >= 10 && maxWatchSeconds <= 86_400, "maxWatchSeconds", maxWatchSeconds,
                    "must be between 10 and 86400");
        }
    }

    public record Tls(String certFile, String keyFile) {
        public Tls {
            require(certFile != null && !certFile.isBlank(), "certFile", certFile, "is required with tls");
            require(keyFile != null && !keyFile.isBlank(), "keyFile", keyFile, "is required with tls");
        }
    }

    /** Derives EndpointSlices and Endpoints from Services and Pods (and mirrors hand-written Endpoints). */
    public record EndpointsController(Boolean enable, Integer resyncSeconds) {
        public static final EndpointsController DEFAULT = new EndpointsController(null, null);

        public EndpointsController {
            enable = enable == null || enable;
            resyncSeconds = resyncSeconds == null ? 300 : resyncSeconds;
            require(resyncSeconds >= 1 && resyncSeconds <= 86_400, "resyncSeconds", resyncSeconds, "must be between 1 and 86400");
        }
    }

    static void requireHostPort(String key, String value) {
        int colon = value.lastIndexOf(':');
        require(colon > 0 && value.substring(colon + 1).matches("\\d{1,5}") && Integer.parseInt(value.substring(colon + 1)) <= 65535,
                key, value, "must be HOST:PORT");
    }
}
