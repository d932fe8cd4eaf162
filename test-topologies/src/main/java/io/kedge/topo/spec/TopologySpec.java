package io.kedge.topo.spec;

import io.kedge.common.config.ConfigException;
import io.kedge.common.config.YamlConfig;
import java.nio.file.Path;
import java.util.List;

/** A topology as declared in YAML; {@link io.kedge.topo.plan.Planner} turns it into addresses and commands. */
public record TopologySpec(String name, InternetSpec internet, List<SiteSpec> sites) {
    public TopologySpec {
        if (name == null) {
            throw new ConfigException("name", null, "is required");
        }
        Names.check("name", name);
        internet = internet == null ? InternetSpec.empty() : internet;
        sites = sites == null ? List.of() : List.copyOf(sites);
    }

    public static TopologySpec load(Path file) {
        return YamlConfig.load(file, TopologySpec.class);
    }

    public static TopologySpec parse(String yaml) {
        return YamlConfig.parse(yaml, TopologySpec.class);
    }
}
