package io.kedge.iptables.backend;

import io.kedge.common.exec.CommandException;
import io.kedge.common.exec.CommandResult;
import io.kedge.common.exec.CommandRunner;
import io.kedge.iptables.IpFamily;
import io.kedge.iptables.IptablesException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses between iptables-nft and iptables-legacy. Rules of the two variants live in different
 * kernel subsystems; ours must be in the one the node's other tools (kube-proxy, the CNI) use, or
 * "our jump first" means nothing. So: the variant kubelet marked with its hint chain, else the one
 * already holding more rules, else what {@code iptables --version} says, else nf_tables.
 */
public final class BackendDetector {
    private static final Logger log = LoggerFactory.getLogger(BackendDetector.class);
    /** Chains kubelet creates in the variant it uses, for exactly this question. */
    static final List<String> HINT_CHAINS = List.of("KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** The chosen variant of one family and why. */
    public record Detection(IpFamily family, Variant variant, String reason) {
    }

    private final CommandRunner runner;
    private final List<String> commandPrefix;
    private final Function<String, Optional<Path>> locator;

    public BackendDetector(CommandRunner runner, List<String> commandPrefix, Function<String, Optional<Path>> locator) {
        this.runner = runner;
        this.commandPrefix = List.copyOf(commandPrefix);
        this.locator = locator;
    }

    /** A backend for IPv4 (required) and IPv6 (if its tools are installed). */
    public Backends detect(BackendMode mode) {
        List<IptablesBackend> found = new ArrayList<>();
        found.add(backend(IpFamily.V4, mode));
        try {
            found.add(backend(IpFamily.V6, mode));
        } catch (IptablesException e) {
            if (e.kind() != IptablesException.Kind.NOT_INSTALLED) {
                throw e;
            }
            log.info("no IPv6 rules possible: {}", e.getMessage());
        }
        return Backends.of(found.toArray(IptablesBackend[]::new));
    }

    /** The backend of one family; throws {@link IptablesException} (not installed) if its tools are missing. */
    public CommandBackend backend(IpFamily family, BackendMode mode) {
        Map<Variant, Path[]> installed = new EnumMap<>(Variant.class);
        for (Variant variant : Variant.values()) {
            Optional<Path> save = locator.apply(variant.tool(family, "save"));
            Optional<Path> restore = locator.apply(variant.tool(family, "restore"));
            if (save.isPresent() && restore.isPresent()) {
                installed.put(variant, new Path[] {save.get(), restore.get()});
            }
        }
        Detection detection;
        Variant forced = mode.forced();
        if (forced != null) {
            if (!installed.containsKey(forced)) {
                throw IptablesException.notInstalled(forced.tool(family, "restore"));
            }
            detection = new Detection(family, forced, "set by configuration");
        } else if (installed.isEmpty()) {
            throw IptablesException.notInstalled(family.command() + "-restore");
        } else if (installed.size() == 1) {
            Variant only = installed.keySet().iterator().next();
            detection = new Detection(family, only, "the only variant installed");
        } else {
            detection = choose(family, saveOrNull(installed.get(Variant.NFT)[0]), saveOrNull(installed.get(Variant.LEGACY)[0]),
                    version(family));
        }
        Path[] tools = installed.get(detection.variant());
        log.info("{} rules through {} ({}){}", family.command(), tools[1].getFileName(), detection.reason(),
                commandPrefix.isEmpty() ? "" : " via " + String.join(" ", commandPrefix));
        return new CommandBackend(runner, commandPrefix, family, detection.variant(), tools[0], tools[1]);
    }

    /**
     * The decision, from what each variant's save printed (null if it could not be read) and what
     * {@code iptables --version} printed (null if unknown).
     */
    static Detection choose(IpFamily family, String nftSave, String legacySave, String version) {
        boolean nftHint = hasHint(nftSave);
        boolean legacyHint = hasHint(legacySave);
        if (nftHint != legacyHint) {
            return new Detection(family, nftHint ? Variant.NFT : Variant.LEGACY, "kubelet's hint chain is there");
        }
        int nftRules = countRules(nftSave);
        int legacyRules = countRules(legacySave);
        if (nftRules != legacyRules) {
            Variant more = nftRules > legacyRules ? Variant.NFT : Variant.LEGACY;
            return new Detection(family, more, "it holds the rules: nf_tables " + nftRules + ", legacy " + legacyRules);
        }
        if (version != null) {
            for (Variant v : Variant.values()) {
                if (version.contains("(" + v.versionMarker() + ")")) {
                    return new Detection(family, v, family.command() + " --version says " + v.versionMarker());
                }
            }
        }
        return new Detection(family, Variant.NFT, "no rules anywhere and no preference: nf_tables");
    }

    private static boolean hasHint(String save) {
        if (save == null) {
            return false;
        }
        for (String line : save.split("\n")) {
            for (String hint : HINT_CHAINS) {
                if (line.startsWith(":" + hint + " ")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static int countRules(String save) {
        if (save == null) {
            return 0;
        }
        int n = 0;
        for (String line : save.split("\n")) {
            String l = line.strip();
            if (l.startsWith("-A ") || (l.startsWith("[") && l.contains("] -A "))) {
                n++;
            }
        }
        return n;
    }

    private String saveOrNull(Path saveTool) {
        return outputOrNull(List.of(saveTool.toString()));
    }

    private String version(IpFamily family) {
        return locator.apply(family.command()).map(tool -> outputOrNull(List.of(tool.toString(), "--version"))).orElse(null);
    }

    /** What a probe printed, or null if it failed: detection only prefers, it never fails on a probe. */
    private String outputOrNull(List<String> command) {
        List<String> argv = new ArrayList<>(commandPrefix);
        argv.addAll(command);
        try {
            CommandResult result = runner.run(argv, null, TIMEOUT);
            if (result.ok()) {
                return result.stdout();
            }
            log.debug("{} failed: {}", result.commandLine(), result.stderr().strip());
        } catch (CommandException e) {
            log.debug("{}", e.getMessage());
        }
        return null;
    }
}
