package io.kedge.iptables.backend;

import io.kedge.common.exec.CommandException;
import io.kedge.common.exec.CommandResult;
import io.kedge.common.exec.CommandRunner;
import io.kedge.iptables.IpFamily;
import io.kedge.iptables.IptablesException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real thing: runs iptables-save and iptables-restore of one variant through a
 * {@link CommandRunner}, each command prefixed by {@code commandPrefix} (empty, or e.g.
 * {@code ip netns exec NS} to work inside a network namespace).
 */
public final class CommandBackend implements IptablesBackend {
    private static final Logger log = LoggerFactory.getLogger(CommandBackend.class);
    /** Seconds iptables-restore (legacy) waits for the xtables lock another tool may hold. */
    static final String LOCK_WAIT_SECONDS = "10";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final CommandRunner runner;
    private final List<String> commandPrefix;
    private final IpFamily family;
    private final Variant variant;
    private final Path saveTool;
    private final Path restoreTool;

    public CommandBackend(CommandRunner runner, List<String> commandPrefix, IpFamily family, Variant variant,
                          Path saveTool, Path restoreTool) {
        this.runner = runner;
        this.commandPrefix = List.copyOf(commandPrefix);
        this.family = family;
        this.variant = variant;
        this.saveTool = saveTool;
        this.restoreTool = restoreTool;
    }

    @Override
    public IpFamily family() {
        return family;
    }

    public Variant variant() {
        return variant;
    }

    @Override
    public String description() {
        return family.command() + "-" + variant.configName()
                + (commandPrefix.isEmpty() ? "" : " (" + String.join(" ", commandPrefix) + ")");
    }

    @Override
    public String save(String table) {
        List<String> argv = command(saveTool);
        if (table != null) {
            argv.add("-t");
            argv.add(table);
        }
        CommandResult result = run(saveTool, argv, null);
        if (!result.ok()) {
            throw CommandErrors.classify(name(saveTool), result, null);
        }
        return result.stdout();
    }

    @Override
    public void restore(String input) {
        List<String> argv = command(restoreTool);
        argv.addAll(List.of("--noflush", "-w", LOCK_WAIT_SECONDS));
        log.debug("{} input:\n{}", description(), input);
        CommandResult result = run(restoreTool, argv, input);
        if (!result.ok()) {
            throw CommandErrors.classify(name(restoreTool), result, input);
        }
    }

    private CommandResult run(Path tool, List<String> argv, String stdin) {
        try {
            return runner.run(argv, stdin, TIMEOUT);
        } catch (CommandException e) {
            throw CommandErrors.classify(name(tool), e);
        }
    }

    private List<String> command(Path tool) {
        List<String> argv = new ArrayList<>(commandPrefix);
        argv.add(tool.toString());
        return argv;
    }

    private static String name(Path tool) {
        return tool.getFileName().toString();
    }

    @Override
    public String toString() {
        return description();
    }
}
