package io.kedge.topo.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.kedge.common.config.ConfigException;

/**
 * A host: one network namespace. Written either as a bare name ({@code - a1}) or as a mapping with
 * an explicit address ({@code - {name: a1, address: 100.64.1.20}}).
 */
public record HostSpec(String name, String address) {
    public HostSpec {
        Names.check("name", name);
        if (address != null) {
            Ipv4.parse("address", address);
        }
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static HostSpec named(String name) {
        return new HostSpec(name, null);
    }

    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public static HostSpec of(@JsonProperty("name") String name, @JsonProperty("address") String address) {
        if (name == null) {
            throw new ConfigException("name", null, "is required");
        }
        return new HostSpec(name, address);
    }
}
