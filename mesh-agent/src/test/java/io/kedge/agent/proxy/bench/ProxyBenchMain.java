package io.kedge.agent.proxy.bench;

import com.sun.management.ThreadMXBean;
import io.kedge.agent.NettyBuffers;
import io.kedge.common.net.NetTransport;
import io.kedge.agent.catalog.Catalog;
import io.kedge.agent.catalog.Endpoint;
import io.kedge.agent.catalog.Protocol;
import io.kedge.agent.catalog.Service;
import io.kedge.agent.catalog.ServiceKey;
import io.kedge.agent.catalog.ServicePort;
import io.kedge.agent.catalog.ServiceType;
import io.kedge.agent.catalog.SessionAffinity;
import io.kedge.agent.proxy.NettyTransport;
import io.kedge.agent.proxy.CpuAffinity;
import io.kedge.agent.proxy.ProxiedPort;
import io.kedge.agent.proxy.ProxyConfig;
import io.kedge.agent.proxy.ProxyManager;
import io.kedge.agent.tunnel.Tunnel;
import io.kedge.common.cli.Cli;
import io.kedge.common.config.ConfigException;
import io.kedge.common.net.LeakDetection;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The ClusterIP proxy on its own, for bench/proxy/run.sh: a static catalog with one plain TCP
 * Service and one HTTP Service, each with a single endpoint. Prints one line per listener
 * ({@code tcp HOST:PORT}, {@code http HOST:PORT}) and runs until its standard input closes.
 */
@Command(name = "proxy-bench", mixinStandardHelpOptions = true,
        description = "Runs the mesh-agent ClusterIP proxy with a static catalog (for benchmarks).")
public final class ProxyBenchMain implements Callable<Integer> {
    @Option(names = "--listen", defaultValue = "127.0.0.1", description = "address the listeners bind (default: ${DEFAULT-VALUE})")
    String listen;

    @Option(names = "--tcp-target", required = true, description = "endpoint HOST:PORT of the plain TCP Service")
    String tcpTarget;

    @Option(names = "--http-target", required = true, description = "endpoint HOST:PORT of the HTTP Service")
    String httpTarget;

    @Option(names = "--io-threads", defaultValue = "2", description = "event loop threads (default: ${DEFAULT-VALUE})")
    int ioThreads;

    @Option(names = "--transport", defaultValue = "NIO", description = "NIO, EPOLL or AUTO (default: ${DEFAULT-VALUE})")
    NetTransport.Type transport;

    @Option(names = "--cpu-affinity", defaultValue = "NONE",
            description = "NONE, or SPREAD: each event loop pinned to a CPU of its own (default: ${DEFAULT-VALUE})")
    CpuAffinity cpuAffinity;

    public static void main(String[] args) {
        // The agent's buffer allocator, as mesh-agent's main sets it.
        NettyBuffers.useAgentDefaults();
        Cli.main(new ProxyBenchMain(), args);
    }

    @Override
    public Integer call() throws IOException {
        // As mesh-agent runs: Netty's leak detection off unless the JVM options ask for it.
        LeakDetection.productionDefault();
        ProxyConfig config = ProxyConfig.builder().listenAddress(listen).ioThreads(ioThreads).transport(transport)
                .cpuAffinity(cpuAffinity).build();
        ServicePort tcp = new ServicePort("data", 5201, Protocol.TCP, null, null);
        ServicePort http = new ServicePort("http", 80, Protocol.TCP, null, null);
        Service tcpService = service("tcp", "198.18.0.10", tcp);
        Service httpService = service("web", "198.18.0.11", http);
        Catalog catalog = new Catalog(1, Map.of(tcpService.key(), tcpService, httpService.key(), httpService),
                Map.of(tcpService.key(), List.of(endpoint(tcpTarget, "data", "--tcp-target")),
                        httpService.key(), List.of(endpoint(httpTarget, "http", "--http-target"))), Map.of());
        try (ProxyManager proxy = new ProxyManager(config, "bench", Tunnel.NONE, new PrometheusRegistry())) {
            proxy.reconcile(catalog);
            for (ProxiedPort p : proxy.proxiedPorts()) {
                String kind = p.port().isHttp() ? "http" : "tcp";
                System.out.println(kind + " " + p.listener().getAddress().getHostAddress() + ":" + p.listener().getPort());
            }
            System.out.flush();
            // Runs until the script closes our standard input (or kills us). A line "alloc" prints
            // the bytes allocated so far by all live threads (for garbage-per-request figures).
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.strip().equals("alloc")) {
                    System.out.println("alloc " + allocatedBytes());
                    System.out.flush();
                }
            }
        }
        return 0;
    }

    private static long allocatedBytes() {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long total = 0;
        for (long n : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            total += Math.max(0, n);
        }
        return total;
    }

    private static Service service(String name, String clusterIP, ServicePort port) {
        return new Service(ServiceKey.of("bench", name), ServiceType.CLUSTER_IP, List.of(clusterIP), false, null, List.of(port),
                SessionAffinity.NONE, null, true, false);
    }

    private static Endpoint endpoint(String hostPort, String portName, String option) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || !hostPort.substring(colon + 1).matches("\\d{1,5}")) {
            throw new ConfigException(option, hostPort, "must be IP:PORT");
        }
        return new Endpoint(hostPort.substring(0, colon), "bench", null, null, true, true, false,
                Map.of(portName, Integer.parseInt(hostPort.substring(colon + 1))));
    }
}
