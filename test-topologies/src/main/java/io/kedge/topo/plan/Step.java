package io.kedge.topo.plan;

import java.util.List;

/** One command of a bring-up, run from the root namespace; {@code stdin} may be null. */
public record Step(List<String> argv, String stdin) {
    public Step {
        argv = List.copyOf(argv);
    }

    public static Step of(String... argv) {
        return new Step(List.of(argv), null);
    }

    @Override
    public String toString() {
        String line = String.join(" ", argv);
        return stdin == null ? line : line + " <<EOF\n" + stdin + "EOF";
    }
}
