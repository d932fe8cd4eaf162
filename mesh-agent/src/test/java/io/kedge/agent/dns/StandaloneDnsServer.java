package io.kedge.agent.dns;

import io.kedge.agent.catalog.Catalog;
import io.kedge.common.cli.Cli;
import io.kedge.common.cli.VersionProvider;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The DNS server on its own with a generated catalog, for the benchmark (bench/dns/run.sh) and for
 * trying it by hand with dig. It can also write the same names as a hosts file (for dnsmasq) and
 * as a dnsperf query file, so that both servers are asked about exactly the same records.
 */
@Command(name = "standalone-dns", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Serve a generated catalog of ClusterIP Services (svc-<i>.bench.svc.<zone>) over DNS until killed.")
public final class StandaloneDnsServer implements Callable<Integer> {
    @Option(names = "--listen", defaultValue = "127.0.0.1", description = "address to bind (default: ${DEFAULT-VALUE})")
    String listen;

    @Option(names = "--port", defaultValue = "5353", description = "UDP and TCP port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--services", defaultValue = "1000", description = "number of Services (default: ${DEFAULT-VALUE})")
    int services;

    @Option(names = "--upstream", description = "upstream server (IP[:port]); repeatable; default: none")
    List<String> upstreams = List.of();

    @Option(names = "--threads", defaultValue = "0", description = "event-loop threads, 0 = one per CPU (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--hosts-file", description = "write the names and addresses as a hosts file here, then serve")
    Path hostsFile;

    @Option(names = "--query-file", description = "write a dnsperf query file (one A query per name) here, then serve")
    Path queryFile;

    @Option(names = "--write-only", description = "write the files and exit without serving")
    boolean writeOnly;

    public static void main(String[] args) {
        Cli.main(new StandaloneDnsServer(), args);
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        String zone = "cluster.local";
        if (hostsFile != null || queryFile != null) {
            StringBuilder hosts = new StringBuilder();
            StringBuilder queries = new StringBuilder();
            for (int i = 0; i < services; i++) {
                String name = "svc-" + i + ".bench.svc." + zone;
                hosts.append(TestCatalogs.benchAddress(i)).append(' ').append(name).append('\n');
                queries.append(name).append(" A\n");
            }
            if (hostsFile != null) {
                Files.writeString(hostsFile, hosts);
            }
            if (queryFile != null) {
                Files.writeString(queryFile, queries);
            }
        }
        if (writeOnly) {
            return 0;
        }
        Catalog catalog = TestCatalogs.bench(services);
        DnsConfig config = DnsConfig.builder().listenAddress(listen).listenPort(port).zone(zone)
                .upstreamServers(upstreams).resolvConf("/dev/null").eventLoopThreads(threads).build();
        CountDownLatch stop = new CountDownLatch(1);
        try (DnsServer server = new DnsServer(config, () -> catalog, new PrometheusRegistry())) {
            server.start();
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            System.out.println("serving " + services + " services on " + server.udpAddress() + " (udp) and "
                    + server.tcpAddress() + " (tcp)");
            System.out.flush();
            stop.await();
        }
        return 0;
    }
}
