package io.kedge.iptables.it;

import io.kedge.common.exec.CommandResult;
import io.kedge.common.exec.CommandRunner;
import io.kedge.iptables.IpFamily;
import io.kedge.iptables.backend.BackendMode;
import io.kedge.iptables.backend.Backends;
import io.kedge.iptables.backend.Variant;
import io.kedge.topo.live.Host;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One variant's iptables inside a test host, driven with the real command-line tools (the way a
 * person or kube-proxy would), independently of the library under test.
 */
final class NodeIptables {
    private final Host host;
    private final Variant variant;
    private final Map<IpFamily, String> baseline = new EnumMap<>(IpFamily.class);

    NodeIptables(Host host, Variant variant) {
        this.host = host;
        this.variant = variant;
        for (IpFamily family : IpFamily.values()) {
            baseline.put(family, save(family, null));
        }
    }

    Variant variant() {
        return variant;
    }

    /** The library's backends for this host and variant. */
    Backends backends() {
        return Backends.system(new CommandRunner(), host.inside(List.of()), variant == Variant.NFT ? BackendMode.NFT : BackendMode.LEGACY);
    }

    /** iptables-save of a table (null: all), without comment lines (they carry timestamps). */
    String save(IpFamily family, String table) {
        List<String> argv = new ArrayList<>(List.of(variant.tool(family, "save")));
        if (table != null) {
            argv.addAll(List.of("-t", table));
        }
        String out = host.execOk(argv.toArray(String[]::new)).stdout();
        return out.lines().filter(l -> !l.startsWith("#")).collect(Collectors.joining("\n", "", "\n"));
    }

    /** The lines of iptables-save -t TABLE that mention any of {@code words}. */
    List<String> linesWith(IpFamily family, String table, String... words) {
        return save(family, table).lines().filter(l -> List.of(words).stream().anyMatch(l::contains)).toList();
    }

    /** The rules of one chain as iptables-save prints them. */
    List<String> chain(IpFamily family, String table, String chain) {
        return save(family, table).lines().filter(l -> l.startsWith("-A " + chain + " ")).toList();
    }

    /** Runs {@code iptables-<variant> -w ARGS}, as an operator would. */
    void cli(IpFamily family, String... args) {
        List<String> argv = new ArrayList<>(List.of(family.command() + "-" + variant.configName(), "-w", "10"));
        argv.addAll(List.of(args));
        host.execOk(argv.toArray(String[]::new));
    }

    /** iptables-restore --noflush with {@code input}, e.g. to plant what an earlier run left. */
    void restore(IpFamily family, String input) {
        CommandResult r = host.exec(Duration.ofSeconds(60), List.of(variant.tool(family, "restore"), "--noflush", "-w", "10"), input);
        if (!r.ok()) {
            throw new IllegalStateException("restore failed: " + r.stderr() + "\n" + input);
        }
    }

    /**
     * Puts both families back to what they held when this object was made: every table now present is
     * rewritten whole (without --noflush) to its original content, or to empty.
     */
    void reset() {
        for (IpFamily family : IpFamily.values()) {
            StringBuilder input = new StringBuilder();
            String original = baseline.get(family);
            for (String table : tables(save(family, null))) {
                String block = block(original, table);
                input.append(block != null ? block : "*" + table + "\nCOMMIT\n");
            }
            CommandResult r = host.exec(Duration.ofSeconds(60), List.of(variant.tool(family, "restore"), "-w", "10"), input.toString());
            if (!r.ok()) {
                throw new IllegalStateException("reset of " + family + " failed: " + r.stderr() + "\n" + input);
            }
        }
    }

    private static List<String> tables(String save) {
        return save.lines().filter(l -> l.startsWith("*")).map(l -> l.substring(1)).toList();
    }

    private static String block(String save, String table) {
        int start = save.indexOf("*" + table + "\n");
        if (start < 0) {
            return null;
        }
        int end = save.indexOf("COMMIT\n", start);
        return save.substring(start, end + "COMMIT\n".length());
    }
}
