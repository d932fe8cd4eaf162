package io.kedge.cloud;

import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.common.cli.Cli;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.config.ConfigException;
import io.kedge.cloud.bootstrap.JoinTokens;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cloudcore-lite}: the cloud half of Kedge's minimal KubeEdge. Without a subcommand it serves. */
@Command(name = "cloudcore-lite", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        subcommands = {CloudcoreCommand.Serve.class, CloudcoreCommand.GetToken.class},
        description = {"Kedge cloud side: in standalone mode an embedded SQLite store behind a Kubernetes-compatible API",
                "(kubectl, fabric8 and client-go clients work against it) and an endpoints controller; with CloudHub",
                "(--advertise-address) edge nodes join with a token and receive the store's objects. In cluster mode",
                "(--kubeconfig, --master) edges follow a real cluster; what they acknowledged is kept in KubeEdge's",
                "ObjectSync/ClusterObjectSync resources when the cluster serves them (--install-crds), else in SQLite.",
                "Configuration from a YAML file (-c); flags override it. Runs `serve` when no command is given."})
public final class CloudcoreCommand implements Callable<Integer> {
    @Mixin
    ServeOptions options = new ServeOptions();

    @Override
    public Integer call() throws Exception {
        return options.serve();
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Run until stopped (SIGTERM/SIGINT): the standalone store and API, the endpoints controller.")
    static final class Serve implements Callable<Integer> {
        @Mixin
        ServeOptions options = new ServeOptions();

        @Override
        public Integer call() throws Exception {
            return options.serve();
        }
    }

    @Command(name = "gettoken", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Print a join token for edge nodes (`edgecore-lite join --token ...`): the current one if it is valid",
                    "for another hour, else a new one. Creates the CA in the data directory on first use."})
    static final class GetToken implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file (optional; for dataDir).")
        Path config;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "The data directory (overrides dataDir).")
        String dataDir;

        @Override
        public Integer call() {
            CloudcoreConfig cfg = config == null ? CloudcoreConfig.defaults() : CloudcoreConfig.load(config);
            Path dir = Path.of(dataDir != null ? dataDir : cfg.dataDir());
            var ca = CloudHubModule.authority(dir);
            System.out.println(JoinTokens.currentOrIssue(dir.resolve(CloudHubModule.PKI_DIR), ca.certificateDer(),
                    Duration.ofHours(cfg.modules().cloudHub().tokenValidityHours())));
            return 0;
        }
    }

    /** The options of serving, on the main command and on {@code serve} alike. */
    static final class ServeOptions {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file (optional).")
        Path config;

        @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Kubernetes API address (overrides modules.standalone.listen; default 127.0.0.1:6443).")
        String listen;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the store's database lives (overrides dataDir; default "
                + CloudcoreConfig.DEFAULT_DATA_DIR + ").")
        String dataDir;

        @Option(names = "--admin", paramLabel = "HOST:PORT", description = "Health, readiness and metrics endpoint (overrides admin.listen; default 127.0.0.1:10561).")
        String admin;

        @Option(names = "--service-cluster-ip-range", paramLabel = "CIDR", description = "ClusterIPs for Services (overrides modules.standalone.serviceClusterIPRange).")
        String serviceRange;

        @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate (chain): serve HTTPS (with --tls-key).")
        String tlsCert;

        @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key for --tls-cert.")
        String tlsKey;

        @Option(names = "--token-file", paramLabel = "FILE", description = "Require a bearer token from this file (one per line).")
        String tokenFile;

        @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Cluster mode: edges follow this cluster (instead of the embedded store).")
        String kubeconfig;

        @Option(names = "--master", paramLabel = "URL", description = "Cluster mode with an API server URL (no credentials).")
        String master;

        @Option(names = "--install-crds", description = "Cluster mode: install KubeEdge's ObjectSync and ClusterObjectSync CRDs "
                + "(reliablesyncs.kubeedge.io/v1alpha1) when missing (sets modules.cluster.installCrds). Without them the versions "
                + "edges acknowledged are kept in SQLite in the data directory.")
        boolean installCrds;

        @Option(names = "--advertise-address", paramLabel = "ADDR", split = ",",
                description = "Enable CloudHub and bootstrap; edges dial these addresses (IPs or DNS names; the server certificate's SANs).")
        List<String> advertise;

        @Option(names = "--cloudhub-listen", paramLabel = "HOST:PORT", description = "CloudHub address (overrides modules.cloudHub.listen; default 0.0.0.0:10000).")
        String cloudHubListen;

        @Option(names = "--bootstrap-listen", paramLabel = "HOST:PORT", description = "Bootstrap HTTPS address (overrides modules.cloudHub.httpsListen; default 0.0.0.0:10002).")
        String bootstrapListen;

        @Option(names = "--log-level", defaultValue = "info", description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}).")
        String logLevel;

        Integer serve() throws Exception {
            Cli.logLevel(logLevel);
            CloudcoreConfig cfg = withFlags(config == null ? CloudcoreConfig.defaults() : CloudcoreConfig.load(config));
            Cloudcore cloudcore = new Cloudcore(cfg);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                cloudcore.close();
                stopped.countDown();
            }, "cloudcore-shutdown"));
            cloudcore.start();
            StandaloneModule standalone = cloudcore.standalone();
            CloudHubModule hub = cloudcore.cloudHub();
            System.out.println("cloudcore-lite ready" + (standalone == null ? "" : ": Kubernetes API on " + standalone.api().url())
                    + (hub == null ? "" : ", CloudHub on port " + hub.hub().port() + ", bootstrap on port " + hub.bootstrap().port())
                    + ", admin on http://" + cfg.admin().listen().replaceFirst(":\\d+$", ":" + cloudcore.admin().port()));
            System.out.flush();
            stopped.await();
            return 0;
        }

        CloudcoreConfig withFlags(CloudcoreConfig c) {
            CloudcoreConfig.Standalone s = c.modules().standalone();
            CloudcoreConfig.Tls tls = s.tls();
            if ((tlsCert == null) != (tlsKey == null) && tls == null) {
                throw new ConfigException(tlsCert == null ? "--tls-cert" : "--tls-key", null, "is required with "
                        + (tlsCert == null ? "--tls-key" : "--tls-cert"));
            }
            if (tlsCert != null || tlsKey != null) {
                tls = new CloudcoreConfig.Tls(tlsCert != null ? tlsCert : tls == null ? null : tls.certFile(),
                        tlsKey != null ? tlsKey : tls == null ? null : tls.keyFile());
            }
            s = new CloudcoreConfig.Standalone(s.enable(), listen != null ? listen : s.listen(),
                    serviceRange != null ? serviceRange : s.serviceClusterIPRange(), s.autoCreateNamespaces(), s.eventWindow(),
                    s.maxBodyBytes(), s.maxWatchSeconds(), tls, tokenFile != null ? tokenFile : s.tokenFile());
            return new CloudcoreConfig(dataDir != null ? dataDir : c.dataDir(),
                    admin != null ? new CloudcoreConfig.Admin(admin) : c.admin(),
                    new CloudcoreConfig.Modules(kubeconfig != null || master != null ? withoutStandalone(s) : s,
                            c.modules().endpointsController(), hubWithFlags(c.modules().cloudHub()), c.modules().syncController(),
                            clusterWithFlags(c.modules().cluster())));
        }

        CloudcoreConfig.Cluster clusterWithFlags(CloudcoreConfig.Cluster k) {
            boolean source = kubeconfig != null || master != null;
            return k.withSource(source || k.enable(), source ? kubeconfig : k.kubeconfig(), source ? master : k.master(),
                    installCrds || k.installCrds());
        }

        static CloudcoreConfig.Standalone withoutStandalone(CloudcoreConfig.Standalone s) {
            return new CloudcoreConfig.Standalone(false, s.listen(), s.serviceClusterIPRange(), s.autoCreateNamespaces(), s.eventWindow(),
                    s.maxBodyBytes(), s.maxWatchSeconds(), s.tls(), s.tokenFile());
        }

        CloudcoreConfig.CloudHub hubWithFlags(CloudcoreConfig.CloudHub h) {
            if (advertise == null && cloudHubListen == null && bootstrapListen == null) {
                return h;
            }
            return new CloudcoreConfig.CloudHub(advertise != null || h.enable(), advertise != null ? advertise : h.advertiseAddress(),
                    cloudHubListen != null ? cloudHubListen : h.listen(), bootstrapListen != null ? bootstrapListen : h.httpsListen(),
                    h.maxSessions(), h.keepaliveTimeoutSeconds(), h.maxMessageBytes(), h.nodeGraceSeconds(), h.tokenValidityHours(),
                    h.tokenRefreshHours(), h.edgeCertificateDays());
        }
    }

    public static void main(String[] args) {
        Cli.main(new CloudcoreCommand(), args);
    }
}
