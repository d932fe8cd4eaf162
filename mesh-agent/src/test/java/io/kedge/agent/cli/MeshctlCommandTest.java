package io.kedge.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** meshctl against a loopback stand-in for the agent's admin endpoint: tables, JSON and errors. */
class MeshctlCommandTest {
    private HttpServer admin;
    private final Map<String, String> pages = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        admin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        admin.createContext("/", ex -> {
            String body = pages.get(ex.getRequestURI().getPath());
            byte[] bytes = (body == null ? "not found" : body).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        admin.start();
    }

    @AfterEach
    void stop() {
        admin.stop(0);
    }

    record Run(int code, String out, String err) {
    }

    private Run meshctl(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new MeshctlCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 1];
        all[0] = "--agent=http://127.0.0.1:" + admin.getAddress().getPort();
        System.arraycopy(args, 0, all, 1, args.length);
        return new Run(cli.execute(all), out.toString(), err.toString());
    }

    @Test
    void peersShowPathRelayRttAndBytes() {
        pages.put("/debug/peers", """
                {"node":"a1","peers":[
                  {"node":"a2","state":"connected","path":"direct-lan","via":null,"rttMillis":0.42,"bytesSent":1200,"bytesReceived":3400,"streams":2,"since":"2026-11-23T16:00:00Z","upgrades":1,"upgradedAt":"2026-11-23T16:05:00Z","directTcp":"198.51.100.12:20006"},
                  {"node":"b1","state":"connected","path":"relayed","via":"203.0.113.11:3478","rttMillis":3.5,"bytesSent":10,"bytesReceived":20,"streams":0,"since":"2026-11-23T16:01:00Z"}],
                 "meshServers":[{"server":"203.0.113.11:7443","name":"relay","registered":true,"since":"2026-11-23T15:59:00Z"}]}
                """);
        Run r = meshctl("peers");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("a2\\s+connected\\s+direct-lan\\s+0\\.4 ms\\s+1200\\s+3400\\s+2\\s+2026-11-23T16:00:00Z\\s+1\\s+tcp 198\\.51\\.100\\.12:20006")
                .containsPattern("b1\\s+.*2026-11-23T16:01:00Z\\s+0\\s+-")
                .contains("TCP LANE")
                .containsPattern("b1\\s+connected\\s+relayed via 203\\.0\\.113\\.11:3478\\s+3\\.5 ms")
                .contains("mesh-server 203.0.113.11:7443 registered");
        assertThat(meshctl("-o", "json", "peers").out()).contains("\"path\" : \"relayed\"");
    }

    @Test
    void anAgentWithoutTheTunnelSaysSo() {
        Run r = meshctl("peers");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("the tunnel is off");
    }

    @Test
    void servicesAreATable() {
        pages.put("/debug/services", """
                [{"service":"default/web","port":"http","servicePort":80,"kind":"HTTP","listener":"169.254.96.16:40001","policy":"ROUND_ROBIN",
                  "endpoints":[{"address":"100.64.1.11:8080","node":"n1","viaTunnel":false,"active":0},
                               {"address":"100.64.2.11:8080","node":"b1","viaTunnel":true,"active":3}]}]
                """);
        Run r = meshctl("services");
        assertThat(r.out()).containsPattern("default/web\\s+http/80\\s+HTTP\\s+169\\.254\\.96\\.16:40001\\s+ROUND_ROBIN\\s+"
                + "100\\.64\\.1\\.11:8080@n1,100\\.64\\.2\\.11:8080@b1\\(tunnel\\)\\[3\\]");
    }

    @Test
    void badArgumentsAndAMissingAgentGiveClearErrors() {
        assertThat(meshctl("-o", "yaml", "services").err()).contains("--output").contains("yaml");
        admin.stop(0);
        Run r = meshctl("status");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err()).contains("no agent answers at");
    }
}
