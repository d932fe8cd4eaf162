package io.kedge.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kedge.common.cli.Cli;
import io.kedge.common.cli.VersionProvider;
import io.kedge.common.config.ConfigException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code meshctl}: reads a running agent's state from its admin endpoint (loopback, so only people on
 * the node see it) and prints it as tables or JSON.
 */
@Command(name = "meshctl", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Inspect a running mesh-agent through its admin endpoint.",
        subcommands = {MeshctlCommand.Status.class, MeshctlCommand.Services.class, MeshctlCommand.Dns.class,
                MeshctlCommand.Peers.class, MeshctlCommand.Health.class})
public final class MeshctlCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--agent", paramLabel = "URL", defaultValue = "http://127.0.0.1:10560",
            description = "The agent's admin endpoint (default: ${DEFAULT-VALUE}).")
    String agent;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    String output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** GETs {@code path} from the agent as JSON; a clear error when it is not running or answers badly. */
    JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = fetch(path);
        if (r.statusCode() / 100 != 2) {
            throw new IOException(path + " answered " + r.statusCode() + ": " + r.body().strip());
        }
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IOException(path + " did not answer JSON: " + e.getMessage());
        }
    }

    HttpResponse<String> fetch(String path) throws IOException, InterruptedException {
        URI uri;
        try {
            uri = URI.create(agent.replaceAll("/+$", "") + path);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--agent", agent, "is not a URL");
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException | java.net.http.HttpConnectTimeoutException e) {
            throw new IOException("no agent answers at " + agent + " (is mesh-agent running? see --agent)");
        }
        return r;
    }

    boolean json() {
        if (!output.equals("json") && !output.equals("table")) {
            throw new ConfigException("--output", output, "must be table or json");
        }
        return output.equals("json");
    }

    void print(PrintWriter out, JsonNode node) throws IOException {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    }

    /** Prints rows as aligned columns under {@code headers}. */
    static void table(PrintWriter out, List<String> headers, List<List<String>> rows) {
        int[] width = new int[headers.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = headers.get(i).length();
            for (List<String> row : rows) {
                width[i] = Math.max(width[i], row.get(i).length());
            }
        }
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        all.addAll(rows);
        for (List<String> row : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + (width[i] + 2) + "s", row.get(i)));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        MeshctlCommand parent;

        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Override
        public final Integer call() throws Exception {
            parent.json(); // a bad --output is refused before anything is fetched
            try {
                return run();
            } catch (IOException e) {
                spec.commandLine().getErr().println("error: " + e.getMessage());
                return Cli.EXIT_ENVIRONMENT;
            }
        }

        abstract int run() throws Exception;
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "The agent: node, API source and sync, catalog size, proxy.")
    static final class Status extends Sub {
        @Override
        int run() throws Exception {
            JsonNode s = parent.get("/debug/status");
            if (parent.json()) {
                parent.print(out(), s);
                return 0;
            }
            flatten(out(), "", s);
            return 0;
        }

        private static void flatten(PrintWriter out, String prefix, JsonNode node) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isObject()) {
                    flatten(out, prefix + e.getKey() + ".", e.getValue());
                } else {
                    out.printf("%-24s %s%n", prefix + e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
                }
            }
        }
    }

    @Command(name = "services", mixinStandardHelpOptions = true,
            description = "Every proxied Service port: listener, policy, endpoints (node, direct or tunnel, in-flight).")
    static final class Services extends Sub {
        @Override
        int run() throws Exception {
            JsonNode ports = parent.get("/debug/services");
            if (parent.json()) {
                parent.print(out(), ports);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode p : ports) {
                List<String> endpoints = new ArrayList<>();
                for (JsonNode e : p.path("endpoints")) {
                    endpoints.add(e.path("address").asText() + "@" + e.path("node").asText("-")
                            + (e.path("viaTunnel").asBoolean() ? "(tunnel)" : "") + (e.path("active").asInt() > 0 ? "[" + e.path("active").asInt() + "]" : ""));
                }
                rows.add(List.of(p.path("service").asText(), p.path("port").asText() + "/" + p.path("servicePort").asText(),
                        p.path("kind").asText(), p.path("listener").asText("-"), p.path("policy").asText(),
                        endpoints.isEmpty() ? "<none>" : String.join(",", endpoints)));
            }
            table(out(), List.of("SERVICE", "PORT", "KIND", "LISTENER", "POLICY", "ENDPOINTS"), rows);
            return 0;
        }
    }

    @Command(name = "dns", mixinStandardHelpOptions = true, description = "The DNS records the agent serves, and its upstreams.")
    static final class Dns extends Sub {
        @Override
        int run() throws Exception {
            JsonNode dns = parent.get("/debug/dns");
            if (parent.json()) {
                parent.print(out(), dns);
                return 0;
            }
            out().println("zone " + dns.path("zone").asText() + ", listening on " + dns.path("listen").asText()
                    + ", upstreams " + dns.path("upstreams"));
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode r : dns.path("records")) {
                rows.add(r.isTextual() ? List.of(r.asText()) : List.of(r.toString()));
            }
            table(out(), List.of("RECORD"), rows);
            return 0;
        }
    }

    @Command(name = "peers", mixinStandardHelpOptions = true,
            description = "Tunnels to other nodes: state, path (direct-lan, direct-punched, relayed via which relay), RTT, bytes each way, since when, moves from a relay to a direct path; and the mesh-servers.")
    static final class Peers extends Sub {
        @Override
        int run() throws Exception {
            JsonNode peers;
            try {
                peers = parent.get("/debug/peers");
            } catch (IOException e) {
                if (e.getMessage().contains("answered 404")) {
                    out().println("the tunnel is off on this agent (modules.edgeTunnel)");
                    return 0;
                }
                throw e;
            }
            if (parent.json()) {
                parent.print(out(), peers);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode p : peers.path("peers")) {
                String path = p.path("path").asText("-");
                if (p.hasNonNull("via") && !p.path("via").asText().isEmpty()) {
                    path += " via " + p.path("via").asText();
                }
                rows.add(List.of(p.path("node").asText(), p.path("state").asText(), path,
                        p.path("rttMillis").isNumber() ? String.format("%.1f ms", p.path("rttMillis").asDouble()) : "-",
                        p.path("bytesSent").asText("0"), p.path("bytesReceived").asText("0"), p.path("streams").asText("0"),
                        p.path("since").asText("-"), p.path("upgrades").asText("0"),
                        p.hasNonNull("directTcp") ? "tcp " + p.path("directTcp").asText() : "-"));
            }
            table(out(), List.of("PEER", "STATE", "PATH", "RTT", "SENT", "RECEIVED", "STREAMS", "SINCE", "UPGRADES", "TCP LANE"), rows);
            for (JsonNode s : peers.path("meshServers")) {
                out().println("mesh-server " + s.path("server").asText() + (s.path("registered").asBoolean() ? " registered" : " not registered")
                        + " since " + s.path("since").asText());
            }
            return 0;
        }
    }

    @Command(name = "health", mixinStandardHelpOptions = true, description = "Readiness and the problems behind it; exit code 1 when not ready.")
    static final class Health extends Sub {
        @Override
        int run() throws Exception {
            HttpResponse<String> r = parent.fetch("/readyz");
            out().print(r.body());
            out().flush();
            return r.statusCode() == 200 ? 0 : 1;
        }
    }

    public static void main(String[] args) {
        Cli.main(new MeshctlCommand(), args);
    }
}
