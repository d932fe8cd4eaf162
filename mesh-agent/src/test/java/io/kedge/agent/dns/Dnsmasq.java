package io.kedge.agent.dns;

import static org.awaitility.Awaitility.await;

import io.kedge.common.exec.CommandRunner;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real dnsmasq as an upstream server on a loopback address: serves the given hosts (TTL 60)
 * under {@code example.test} (other names there are NXDOMAIN), forwards nothing, and logs every
 * query so that tests can count what reached it.
 */
final class Dnsmasq implements AutoCloseable {
    static final String READY_NAME = "ready.example.test";
    private final Process process;
    private final Path log;
    private final InetSocketAddress address;

    Dnsmasq(Path dir, InetAddress ip, Map<String, String> hosts) throws IOException {
        Files.createDirectories(dir);
        Path hostsFile = dir.resolve("hosts");
        // A name of its own to wait for, so the tests' query counts start at zero.
        StringBuilder sb = new StringBuilder("192.0.2.254 " + READY_NAME + "\n");
        hosts.forEach((name, addr) -> sb.append(addr).append(' ').append(name).append('\n'));
        Files.writeString(hostsFile, sb);
        log = dir.resolve("dnsmasq.log");
        int port = freePort(ip);
        address = new InetSocketAddress(ip, port);
        String binary = Files.isExecutable(Path.of("/usr/sbin/dnsmasq")) ? "/usr/sbin/dnsmasq" : "dnsmasq";
        process = new ProcessBuilder(List.of(binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--addn-hosts=" + hostsFile, "--local=/example.test/", "--local-ttl=60", "--listen-address=" + ip.getHostAddress(),
                "--bind-interfaces", "--port=" + port, "--cache-size=0", "--log-queries", "--log-facility=" + log,
                "--pid-file=", "--user=root", "--group=root"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("dnsmasq.out").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> "NOERROR".equals(Dig.query(address, READY_NAME).status()));
        } catch (RuntimeException e) {
            close();
            throw new IOException("dnsmasq did not start: " + Files.readString(dir.resolve("dnsmasq.out")), e);
        }
    }

    InetSocketAddress address() {
        return address;
    }

    String server() {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /** How many queries for {@code name} of {@code type} dnsmasq has logged. */
    long queries(String type, String name) throws IOException {
        String needle = "query[" + type + "] " + name + " from";
        return Files.readAllLines(log).stream().filter(l -> l.contains(needle)).count();
    }

    /** A port free for both UDP and TCP on {@code ip} just now. */
    static int freePort(InetAddress ip) throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            try (DatagramSocket u = new DatagramSocket(new InetSocketAddress(ip, 0))) {
                try (ServerSocket t = new ServerSocket()) {
                    t.bind(new InetSocketAddress(ip, u.getLocalPort()));
                    return u.getLocalPort();
                } catch (IOException e) {
                    // taken for TCP: try another
                }
            }
        }
        throw new IOException("no free port on " + ip);
    }

    @Override
    public void close() {
        CommandRunner.kill(process);
    }
}
