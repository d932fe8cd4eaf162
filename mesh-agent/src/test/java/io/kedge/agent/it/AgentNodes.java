package io.kedge.agent.it;

import io.kedge.agent.AgentCommand;
import io.kedge.agent.cli.MeshctlCommand;
import io.kedge.agent.testing.BackendServer;
import io.kedge.common.exec.CommandResult;
import io.kedge.topo.live.Host;
import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.JavaCommand;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Full mesh-agent processes in topology hosts and the real clients the agent tests call them with
 * (curl, dig, bash's /dev/udp, meshctl), run inside the hosts.
 */
final class AgentNodes {
    static final String MESH = "169.254.96.16";
    static final String ADMIN = "127.0.0.1:10560";
    /** A host's resolv.conf when its resolver is the agent, with the search path a pod gets. */
    static final String RESOLV_CONF = "nameserver " + MESH
            + "\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n";

    private AgentNodes() {
    }

    /**
     * Starts mesh-agent ({@link AgentCommand}) on {@code node} as that node, with its state under
     * target/agent-state and its admin endpoint on {@link #ADMIN}, plus {@code args}; does not wait.
     */
    static HostProcess start(Host node, String... args) {
        List<String> argv = new ArrayList<>(List.of("--node-name", node.name(),
                "--state-dir", Path.of("target/agent-state", node.namespace()).toAbsolutePath().toString(), "--admin", ADMIN));
        argv.addAll(List.of(args));
        return node.startJava("mesh-agent", JavaCommand.TEST_JVM_OPTIONS, AgentCommand.class.getName(), argv);
    }

    static void awaitReady(HostProcess agent, Duration timeout) {
        agent.awaitLine(Pattern.compile("mesh-agent ready"), timeout);
    }

    /** Starts a {@link BackendServer} called {@code name} on {@code host}, serving on {@code address}:8080; does not wait. */
    static HostProcess startBackend(Host host, String name, String address) {
        return host.startJava("backend-" + name, BackendServer.class.getName(), name, address, "8080");
    }

    static void awaitBackend(HostProcess backend) {
        backend.awaitLine(Pattern.compile("READY"), Duration.ofSeconds(60));
    }

    /** curl's body, or its error; {@code curl} runs on {@code from} with a short timeout. */
    static String curl(Host from, String url) {
        return curl(from, Duration.ofSeconds(5), url);
    }

    /** curl's body, or its error; {@code curl} runs on {@code from} and gives up after {@code maxTime}. */
    static String curl(Host from, Duration maxTime, String url) {
        CommandResult r = from.exec(maxTime.plusSeconds(15), List.of("curl", "-sS", "--max-time", String.valueOf(maxTime.toSeconds()), url), null);
        return r.exitCode() == 0 ? r.stdout().strip() : "curl failed (" + r.exitCode() + "): " + r.stderr().strip();
    }

    /**
     * One UDP datagram to {@code target:port} from {@code from} (bash's /dev/udp; a name is resolved
     * with the host's resolver), and the first answer line (read by head: bash's own read takes one
     * byte per datagram), waiting at most 3 s.
     */
    static String udpEcho(Host from, String target, int port, String text) {
        return udpEcho(from, target, port, text, Duration.ofSeconds(3));
    }

    static String udpEcho(Host from, String target, int port, String text, Duration wait) {
        CommandResult r = from.exec(wait.plusSeconds(20), List.of("bash", "-c",
                "exec 3<>/dev/udp/" + target + "/" + port + "; echo " + text + " >&3; timeout " + wait.toSeconds() + " head -n1 <&3"), null);
        return r.stdout().strip();
    }

    static String dig(Host from, String name, String type, String... options) {
        List<String> argv = new ArrayList<>(List.of("dig", "@" + MESH, "+short", "+time=2", "+tries=1", name, type));
        argv.addAll(List.of(options));
        return from.exec(Duration.ofSeconds(20), argv, null).stdout().strip();
    }

    static CommandResult meshctl(Host host, String... args) {
        List<String> argv = new ArrayList<>(List.of(JavaCommand.javaBinary(), "-cp", System.getProperty("java.class.path"),
                MeshctlCommand.class.getName()));
        argv.addAll(List.of(args));
        return host.exec(Duration.ofSeconds(60), argv, null);
    }

    /** What the agent on {@code host} serves at {@code path} of its admin endpoint (e.g. /debug/peers). */
    static String admin(Host host, String path) {
        return host.execOk("curl", "-sS", "--max-time", "10", "http://" + ADMIN + path).stdout();
    }
}
