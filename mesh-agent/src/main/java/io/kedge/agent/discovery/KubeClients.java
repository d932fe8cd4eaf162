package io.kedge.agent.discovery;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kedge.agent.config.AgentConfig;
import io.kedge.common.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds the Kubernetes client from {@code kubeAPIConfig}. */
public final class KubeClients {
    private KubeClients() {
    }

    /** Where the agent will read the cluster from, for logs and meshctl. */
    public record Source(String kind, String url) {
    }

    public static Source source(AgentConfig.KubeApi api) {
        if (api.master() != null && !api.master().isBlank()) {
            return new Source("master", api.master());
        }
        if (api.kubeConfig() != null && !api.kubeConfig().isBlank()) {
            return new Source("kubeconfig", api.kubeConfig());
        }
        if (System.getenv("KUBERNETES_SERVICE_HOST") != null) {
            return new Source("in-cluster", "https://" + System.getenv("KUBERNETES_SERVICE_HOST") + ":"
                    + System.getenv().getOrDefault("KUBERNETES_SERVICE_PORT", "443"));
        }
        return new Source("metaServer", api.metaServer().server());
    }

    public static KubernetesClient create(AgentConfig.KubeApi api) {
        Source source = source(api);
        Config base;
        switch (source.kind()) {
            case "kubeconfig" -> {
                try {
                    base = Config.fromKubeconfig(Files.readString(Path.of(api.kubeConfig())));
                } catch (IOException e) {
                    throw new ConfigException("kubeAPIConfig.kubeConfig", api.kubeConfig(), "cannot read: " + e.getMessage());
                } catch (RuntimeException e) {
                    throw new ConfigException("kubeAPIConfig.kubeConfig", api.kubeConfig(), "not a usable kubeconfig: " + e.getMessage());
                }
            }
            case "in-cluster" -> base = new ConfigBuilder().build();
            default -> base = new ConfigBuilder(Config.empty()).withMasterUrl(source.url()).build();
        }
        int timeoutMillis = api.requestTimeoutSeconds() * 1000;
        Config config = new ConfigBuilder(base)
                .withRequestTimeout(timeoutMillis)
                .withConnectionTimeout(Math.min(timeoutMillis, 5000))
                // Informers relist and rewatch forever: the API coming back must be noticed without a restart.
                .withWatchReconnectInterval(1000)
                .withWatchReconnectLimit(-1)
                .withRequestRetryBackoffLimit(3)
                .build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
