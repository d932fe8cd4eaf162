package io.kedge.topo.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.kedge.common.config.ConfigException;
import java.util.List;

/**
 * A host: one network namespace. Written either as a bare name ({@code - a1}) or as a mapping with
 * an explicit address and optional pods ({@code - {name: a1, address: 100.64.1.20, pods: [web1]}}).
 * A pod is a namespace of its own behind the host, like a container on a node: its traffic reaches
 * the host through a bridge ({@code pods0}), the way a CNI plugin wires containers.
 */
public record HostSpec(String name, String address, List<String> pods) {
    public HostSpec {
        Names.check("name", name);
        if (address != null) {
            Ipv4.parse("address", address);
        }
        pods = pods == null ? List.of() : List.copyOf(pods);
        for (int i = 0; i < pods.size(); i++) {
            Names.check("pods[" + i + "]", pods.get(i));
        }
    }

    public HostSpec(String name, String address) {
        this(name, address, List.of());
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static HostSpec named(String name) {
        return new HostSpec(name, null, List.of());
    }

    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public static HostSpec of(@JsonProperty("name") String name, @JsonProperty("address") String address,
                              @JsonProperty("pods") List<String> pods) {
        if (name == null) {
            throw new ConfigException("name", null, "is required");
        }
        return new HostSpec(name, address, pods);
    }
}
