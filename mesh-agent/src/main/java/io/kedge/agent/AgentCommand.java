package io.kedge.agent;

import io.kedge.agent.config.AgentConfig;
import io.kedge.common.cli.Cli;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.net.LeakDetection;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mesh-agent}: runs the node agent until stopped (SIGTERM/SIGINT). */
@Command(name = "mesh-agent", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Kedge node agent: cluster DNS and the ClusterIP proxy on the mesh address, for every node.",
                "Configuration keys follow EdgeMesh's edgemesh-agent.yaml; flags override the file."})
public final class AgentCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file (optional).")
    Path config;

    @Option(names = "--node-name", description = "This node's name (default: nodeName from the config, else $NODE_NAME).")
    String nodeName;

    @Option(names = "--master", paramLabel = "URL", description = "Kubernetes API URL (overrides kubeAPIConfig.master).")
    String master;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "kubeconfig file (overrides kubeAPIConfig.kubeConfig).")
    String kubeconfig;

    @Option(names = "--meta-server", paramLabel = "URL", description = "edge metaServer URL (overrides kubeAPIConfig.metaServer.server).")
    String metaServer;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Where the last catalog is kept for restarts while the API is down.")
    String stateDir;

    @Option(names = "--admin", paramLabel = "HOST:PORT", description = "Health, metrics and state endpoint (overrides admin.listen).")
    String admin;

    @Option(names = "--log-level", defaultValue = "info", description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Override
    public Integer call() throws Exception {
        Cli.logLevel(logLevel);
        LeakDetection.productionDefault();
        AgentConfig cfg = config == null ? AgentConfig.defaults() : AgentConfig.load(config);
        cfg = withFlags(cfg);
        String node = cfg.resolvedNodeName();
        Agent agent = new Agent(cfg, node);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "agent-shutdown"));
        agent.start();
        System.out.println("mesh-agent ready on node " + node);
        System.out.flush();
        stopped.await();
        return 0;
    }

    AgentConfig withFlags(AgentConfig c) {
        AgentConfig.KubeApi api = c.kubeAPIConfig();
        api = new AgentConfig.KubeApi(master != null ? master : api.master(), kubeconfig != null ? kubeconfig : api.kubeConfig(),
                metaServer != null ? new AgentConfig.MetaServer(metaServer) : api.metaServer(), api.requestTimeoutSeconds());
        return new AgentConfig(nodeName != null ? nodeName : c.nodeName(), stateDir != null ? stateDir : c.stateDir(), api,
                c.commonConfig(), c.modules(), admin != null ? new AgentConfig.Admin(admin) : c.admin());
    }

    public static void main(String[] args) {
        NettyBuffers.useAgentDefaults();
        Cli.main(new AgentCommand(), args);
    }
}
