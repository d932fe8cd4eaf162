package io.kedge.iptables.backend;

import io.kedge.iptables.IpFamily;
import java.util.ArrayList;
import java.util.List;

/**
 * A backend for unit tests: records every restore input, and serves save output that is either
 * simulated (restores are applied to an in-memory rule set with iptables-restore's all-or-nothing
 * semantics) or canned (fixed text; restores are only recorded). Thread-safe.
 */
public final class RecordingBackend implements IptablesBackend {
    private final IpFamily family;
    private final SimulatedTables simulation = new SimulatedTables();
    private final List<String> restores = new ArrayList<>();
    private final List<String> saves = new ArrayList<>();
    private String canned;

    private RecordingBackend(IpFamily family, String canned) {
        this.family = family;
        this.canned = canned;
    }

    /** Starts with no tables; restores change what save prints. */
    public static RecordingBackend simulated(IpFamily family) {
        return new RecordingBackend(family, null);
    }

    /** Save always prints {@code saveOutput} (for every table asked); restores are only recorded. */
    public static RecordingBackend canned(IpFamily family, String saveOutput) {
        return new RecordingBackend(family, saveOutput);
    }

    @Override
    public IpFamily family() {
        return family;
    }

    @Override
    public String description() {
        return family.command() + "-recording";
    }

    @Override
    public synchronized String save(String table) {
        saves.add(table == null ? "*" : table);
        return canned != null ? canned : simulation.save(table);
    }

    /** What {@link #save} would print, without recording the call (for test assertions). */
    public synchronized String dump(String table) {
        return canned != null ? canned : simulation.save(table);
    }

    /** Records {@code input}; in simulated mode applies it, throwing as iptables-restore would on a bad line. */
    @Override
    public synchronized void restore(String input) {
        restores.add(input);
        if (canned == null) {
            simulation.restore(family.command() + "-restore", input, true);
        }
    }

    /**
     * Changes the simulated rules as another tool or a person would (restore input, e.g.
     * {@code "*nat\n-D OUTPUT 1\nCOMMIT\n"}), without recording it.
     */
    public synchronized void simulate(String restoreInput) {
        simulation.restore(family.command() + "-restore", restoreInput, true);
    }

    /** Switches to canned mode: from now on save prints {@code saveOutput}. */
    public synchronized void cannedSave(String saveOutput) {
        canned = saveOutput;
    }

    /** Every restore input so far, oldest first. */
    public synchronized List<String> restores() {
        return List.copyOf(restores);
    }

    /** The tables every save asked for ({@code *} for all), oldest first. */
    public synchronized List<String> saves() {
        return List.copyOf(saves);
    }

    public synchronized void clearRecords() {
        restores.clear();
        saves.clear();
    }
}
