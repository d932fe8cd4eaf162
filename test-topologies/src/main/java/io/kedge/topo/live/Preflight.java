package io.kedge.topo.live;

import io.kedge.common.exec.CommandException;
import io.kedge.common.exec.CommandRunner;
import java.util.List;

/** Fails early, with a message an operator can act on, when topologies cannot be built here. */
public final class Preflight {
    private Preflight() {
    }

    public static void check(CommandRunner runner) {
        if (!"root".equals(System.getProperty("user.name")) && ProcessHandle.current().info().user().map(u -> !u.equals("root")).orElse(true)) {
            throw new CommandException("network-namespace topologies need root (run the tests as root: ./bin/run-tests)", null);
        }
        for (List<String> probe : List.of(List.of("ip", "-V"), List.of("iptables", "--version"), List.of("iptables-restore", "--version"))) {
            try {
                runner.check(probe);
            } catch (CommandException e) {
                throw new CommandException(e.getMessage() + " (./bin/run-tests and ./bin/demo install iproute2 and iptables)", e);
            }
        }
    }
}
