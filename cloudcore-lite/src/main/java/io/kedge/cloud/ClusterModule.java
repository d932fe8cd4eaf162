package io.kedge.cloud;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kedge.cloud.config.CloudcoreConfig;
import io.kedge.cloud.source.ClusterSource;
import io.kedge.common.config.ConfigException;
import io.kedge.common.kubeapi.ResourceStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Cluster mode: a real Kubernetes API (kubeconfig, or a master URL) as the source of what edges receive. */
public final class ClusterModule implements CloudModule {
    private final CloudcoreConfig.Cluster config;
    private ClusterSource source;
    private String server;

    public ClusterModule(CloudcoreConfig.Cluster config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "cluster";
    }

    @Override
    public void start() throws Exception {
        Config c;
        if (config.kubeconfig() != null) {
            Path file = Path.of(config.kubeconfig());
            if (!Files.isReadable(file)) {
                throw new ConfigException("modules.cluster.kubeconfig", config.kubeconfig(), "file does not exist or is not readable");
            }
            c = Config.fromKubeconfig(Files.readString(file));
        } else if (config.master() != null) {
            c = new ConfigBuilder(Config.empty()).withMasterUrl(config.master()).build();
        } else {
            c = Config.autoConfigure(null);
        }
        server = c.getMasterUrl();
        KubernetesClient client = new KubernetesClientBuilder().withConfig(c).build();
        source = new ClusterSource(client);
    }

    /** The cluster, behind the store calls the other modules use. */
    public ResourceStore store() {
        return source;
    }

    @Override
    public Object status() {
        return Map.of("server", String.valueOf(server));
    }

    @Override
    public void close() {
        if (source != null) {
            source.close();
        }
    }
}
