package io.kedge.cloud;

import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.common.cli.Cli;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.config.ConfigException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cloudcore-lite}: the cloud half of Kedge's minimal KubeEdge. Without a subcommand it serves. */
@Command(name = "cloudcore-lite", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        subcommands = CloudcoreCommand.Serve.class,
        description = {"Kedge cloud side: in standalone mode an embedded SQLite store behind a Kubernetes-compatible API",
                "(kubectl, fabric8 and client-go clients work against it) and an endpoints controller.",
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
            System.out.println("cloudcore-lite ready" + (standalone == null ? "" : ": Kubernetes API on " + standalone.api().url())
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
                    new CloudcoreConfig.Modules(s, c.modules().endpointsController()));
        }
    }

    public static void main(String[] args) {
        Cli.main(new CloudcoreCommand(), args);
    }
}
