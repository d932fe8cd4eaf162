package io.kedge.topo.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.kedge.common.config.ConfigException;
import java.util.Arrays;
import java.util.stream.Collectors;

/** How a site's gateway treats traffic between its LAN and the internet segment. */
public enum NatType {
    /** Routed: site addresses are reachable from the internet segment, nothing is translated. */
    NONE("none"),
    /** MASQUERADE: endpoint-independent mapping, address-and-port-dependent filtering. */
    PORT_RESTRICTED("port-restricted"),
    /** MASQUERADE --random-fully: a new external port per destination (endpoint-dependent mapping). */
    SYMMETRIC("symmetric"),
    /** MASQUERADE for TCP; every UDP packet crossing the gateway is dropped. */
    UDP_BLOCKED("udp-blocked");

    private final String yamlName;

    NatType(String yamlName) {
        this.yamlName = yamlName;
    }

    @JsonValue
    public String yamlName() {
        return yamlName;
    }

    public boolean translates() {
        return this != NONE;
    }

    @JsonCreator
    public static NatType parse(String text) {
        for (NatType t : values()) {
            if (t.yamlName.equals(text)) {
                return t;
            }
        }
        throw new ConfigException("", text, "expected one of "
                + Arrays.stream(values()).map(NatType::yamlName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return yamlName;
    }
}
