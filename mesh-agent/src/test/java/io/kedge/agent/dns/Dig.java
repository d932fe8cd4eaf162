package io.kedge.agent.dns;

import io.kedge.common.exec.CommandResult;
import io.kedge.common.exec.CommandRunner;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the real {@code dig} (package dnsutils) and reads its output. */
final class Dig {
    private static final CommandRunner RUNNER = new CommandRunner(Duration.ofSeconds(30), java.util.Map.of());
    private static final Pattern STATUS = Pattern.compile("status: ([A-Z]+)");
    private static final Pattern FLAGS = Pattern.compile(";; flags:([a-z ]*);");
    private static final Pattern EDNS = Pattern.compile("; EDNS: version: (\\d+), flags:([a-z ]*); udp: (\\d+)");
    private static final Pattern SIZE = Pattern.compile("MSG SIZE\\s+rcvd: (\\d+)");

    private Dig() {
    }

    /** One resource record line: owner, TTL, type, data. */
    record Rr(String name, long ttl, String type, String data) {
    }

    record Result(String status, List<String> flags, List<Rr> answer, List<Rr> authority, List<Rr> additional,
                  Integer ednsUdp, List<String> ednsFlags, int size, String raw) {
        List<String> answerData(String type) {
            return answer.stream().filter(r -> r.type().equals(type)).map(Rr::data).toList();
        }
    }

    /** {@code dig @server -p port ARGS}, one try; the result of the last reply dig printed. */
    static Result query(InetSocketAddress server, String... args) {
        List<String> argv = new ArrayList<>(List.of("dig", "@" + server.getAddress().getHostAddress(), "-p",
                String.valueOf(server.getPort()), "+tries=1", "+timeout=10", "+noall", "+comments", "+answer", "+authority",
                "+additional", "+stats"));
        argv.addAll(Arrays.asList(args));
        CommandResult r = RUNNER.run(argv);
        return parse(r.stdout() + r.stderr());
    }

    static Result parse(String out) {
        String status = null;
        List<String> flags = List.of();
        Integer udp = null;
        List<String> ednsFlags = List.of();
        int size = -1;
        List<Rr> answer = new ArrayList<>();
        List<Rr> authority = new ArrayList<>();
        List<Rr> additional = new ArrayList<>();
        List<Rr> section = null;
        for (String line : out.split("\n")) {
            Matcher m;
            if ((m = STATUS.matcher(line)).find()) {
                status = m.group(1);
            }
            if ((m = FLAGS.matcher(line)).find()) {
                flags = Arrays.stream(m.group(1).trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
            }
            if ((m = EDNS.matcher(line)).find()) {
                udp = Integer.parseInt(m.group(3));
                ednsFlags = Arrays.stream(m.group(2).trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
            }
            if ((m = SIZE.matcher(line)).find()) {
                size = Integer.parseInt(m.group(1));
            }
            if (line.startsWith(";; ANSWER SECTION")) {
                section = answer;
            } else if (line.startsWith(";; AUTHORITY SECTION")) {
                section = authority;
            } else if (line.startsWith(";; ADDITIONAL SECTION")) {
                section = additional;
            } else if (line.startsWith(";") || line.isBlank()) {
                if (line.startsWith(";;") && !line.startsWith(";; ->>") && line.contains("SECTION")) {
                    section = null;
                }
            } else if (section != null) {
                String[] f = line.trim().split("\\s+", 5);
                if (f.length == 5) {
                    section.add(new Rr(f[0], Long.parseLong(f[1]), f[3], f[4]));
                }
            }
        }
        return new Result(status, flags, answer, authority, additional, udp, ednsFlags, size, out);
    }
}
