package io.kedge.common.kubeapi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Test helper: JSON written with single quotes, for readable literals. */
public final class Json {
    private Json() {
    }

    public static JsonNode node(String singleQuoted) {
        try {
            return KubeObjects.JSON.readTree(singleQuoted.replace('\'', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bad test JSON: " + singleQuoted, e);
        }
    }

    public static ObjectNode object(String singleQuoted) {
        return (ObjectNode) node(singleQuoted);
    }
}
