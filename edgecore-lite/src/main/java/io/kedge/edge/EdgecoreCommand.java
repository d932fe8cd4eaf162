package io.kedge.edge;

import io.kedge.common.cli.Cli;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.config.ConfigException;
import io.kedge.common.config.YamlConfig;
import io.kedge.edge.config.EdgecoreConfig;
import io.kedge.edge.join.EdgeCredentials;
import io.kedge.edge.join.JoinException;
import io.kedge.edge.join.Joiner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code edgecore-lite}: the edge half of Kedge's minimal KubeEdge. Without a subcommand it serves. */
@Command(name = "edgecore-lite", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        subcommands = {EdgecoreCommand.Join.class},
        description = {"Kedge edge side: keeps this node's copy of the cluster (services, endpoints, pods, nodes ...) in SQLite,",
                "in sync with cloudcore-lite over one outbound WebSocket, and serves it on the metaServer",
                "(127.0.0.1:10550, a read-only Kubernetes API) online or offline.",
                "First `edgecore-lite join --cloudcore HOST:10000 --token T`, then `edgecore-lite [-c FILE]`."})
public final class EdgecoreCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Configuration (default: " + EdgecoreConfig.DEFAULT_FILE + ").")
    Path config = Path.of(EdgecoreConfig.DEFAULT_FILE);

    @Option(names = "--meta-server", paramLabel = "HOST:PORT", description = "metaServer address (overrides metaServer.listen).")
    String metaServerListen;

    @Option(names = "--admin", paramLabel = "HOST:PORT", description = "Health and metrics endpoint (overrides admin.listen).")
    String adminListen;

    @Option(names = "--log-level", defaultValue = "info", description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Override
    public Integer call() throws Exception {
        Cli.logLevel(logLevel);
        EdgecoreConfig loaded = EdgecoreConfig.load(config);
        EdgecoreConfig cfg = new EdgecoreConfig(loaded.nodeName(), loaded.dataDir(), loaded.cloudHub(),
                metaServerListen != null ? new EdgecoreConfig.MetaServer(metaServerListen) : loaded.metaServer(),
                adminListen != null ? new EdgecoreConfig.Admin(adminListen) : loaded.admin());
        Edgecore edgecore = new Edgecore(cfg);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            edgecore.close();
            stopped.countDown();
        }, "edgecore-shutdown"));
        edgecore.start();
        System.out.println("edgecore-lite ready: node " + cfg.nodeName() + ", metaServer on " + edgecore.metaServer().url()
                + ", admin on port " + edgecore.admin().port() + ", cloud " + cfg.cloudHub().server());
        System.out.flush();
        stopped.await();
        return 0;
    }

    @Command(name = "join", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Join this node: fetch the cloud's CA (checked against the token), get a node certificate for a",
                    "CSR, and write the configuration. Then run `edgecore-lite -c FILE`."})
    static final class Join implements Callable<Integer> {
        @Option(names = "--cloudcore", required = true, paramLabel = "HOST:PORT", description = "CloudHub address (port 10000).")
        String cloudcore;

        @Option(names = "--token", required = true, paramLabel = "TOKEN", description = "From `cloudcore-lite gettoken`.")
        String token;

        @Option(names = "--node-name", paramLabel = "NAME", description = "This node's name (default: the host name).")
        String nodeName;

        @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "Bootstrap endpoint (default: the CloudHub host, port 10002).")
        String bootstrap;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "Store and certificates (default: " + EdgecoreConfig.DEFAULT_DATA_DIR + ").")
        String dataDir;

        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Where to write the configuration (default: "
                + EdgecoreConfig.DEFAULT_FILE + ").")
        Path config = Path.of(EdgecoreConfig.DEFAULT_FILE);

        @Override
        public Integer call() throws Exception {
            String name = nodeName != null ? nodeName : java.net.InetAddress.getLocalHost().getHostName().toLowerCase(java.util.Locale.ROOT);
            EdgecoreConfig.CloudHub hub;
            EdgecoreConfig cfg;
            try {
                hub = new EdgecoreConfig.CloudHub(cloudcore, null, null, null, null, null, null, null);
            } catch (ConfigException e) {
                throw new ConfigException("--cloudcore", cloudcore, e.problem());
            }
            try {
                cfg = new EdgecoreConfig(name, dataDir, hub, null, null);
            } catch (ConfigException e) {
                throw new ConfigException("--node-name", name, e.problem());
            }
            String boot = bootstrap != null ? bootstrap : cloudcore.substring(0, cloudcore.lastIndexOf(':')) + ":10002";
            EdgeCredentials creds;
            try {
                creds = new Joiner(Duration.ofSeconds(20)).join(boot, token, name);
            } catch (JoinException e) {
                System.err.println("edgecore-lite join: " + e.getMessage());
                return Cli.EXIT_ENVIRONMENT;
            }
            creds.save(cfg.certDir());
            Map<String, Object> yaml = new LinkedHashMap<>();
            yaml.put("nodeName", name);
            yaml.put("dataDir", cfg.dataDir());
            yaml.put("cloudHub", Map.of("server", cloudcore));
            if (config.getParent() != null) {
                Files.createDirectories(config.getParent());
            }
            Files.writeString(config, YamlConfig.mapper().writeValueAsString(yaml));
            System.out.println("joined as " + name + ": certificate valid until " + creds.certificate().getNotAfter().toInstant()
                    + ", configuration in " + config);
            return 0;
        }
    }

    public static void main(String[] args) {
        Cli.main(new EdgecoreCommand(), args);
    }
}
