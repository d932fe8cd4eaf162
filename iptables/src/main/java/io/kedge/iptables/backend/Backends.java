package io.kedge.iptables.backend;

import io.kedge.common.exec.CommandRunner;
import io.kedge.iptables.IpFamily;
import io.kedge.iptables.IptablesException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The backend of each family that is available: IPv4 always, IPv6 when ip6tables is installed. */
public final class Backends {
    private final Map<IpFamily, IptablesBackend> byFamily;

    private Backends(Map<IpFamily, IptablesBackend> byFamily) {
        this.byFamily = Collections.unmodifiableMap(new EnumMap<>(byFamily));
    }

    /** These backends, at most one per family. */
    public static Backends of(IptablesBackend... backends) {
        Map<IpFamily, IptablesBackend> map = new EnumMap<>(IpFamily.class);
        for (IptablesBackend backend : backends) {
            if (map.put(backend.family(), backend) != null) {
                throw new IllegalArgumentException("two backends for " + backend.family());
            }
        }
        return new Backends(map);
    }

    /**
     * The system's iptables tools, of the variant {@code mode} forces or the one detected for each
     * family, every command prefixed by {@code commandPrefix} (e.g. {@code ip netns exec NS}; empty
     * for this process's own namespace).
     *
     * @throws IptablesException if iptables (IPv4) is not installed
     */
    public static Backends system(CommandRunner runner, List<String> commandPrefix, BackendMode mode) {
        return new BackendDetector(runner, commandPrefix, Binaries::find).detect(mode);
    }

    public Optional<IptablesBackend> get(IpFamily family) {
        return Optional.ofNullable(byFamily.get(family));
    }

    /** The family's backend; throws {@link IptablesException} (not installed) if there is none. */
    public IptablesBackend require(IpFamily family) {
        IptablesBackend backend = byFamily.get(family);
        if (backend == null) {
            throw IptablesException.notInstalled(family.command() + "-restore");
        }
        return backend;
    }

    public List<IptablesBackend> all() {
        return new ArrayList<>(byFamily.values());
    }

    @Override
    public String toString() {
        return byFamily.values().toString();
    }
}
