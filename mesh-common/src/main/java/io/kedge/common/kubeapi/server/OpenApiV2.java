package io.kedge.common.kubeapi.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.ResourceTypes;
import java.util.List;
import java.util.Locale;

/**
 * The OpenAPI v2 (Swagger 2.0) document at {@code /openapi/v2}: the object schemas of every served
 * kind ({@link ObjectSchemas}) and no paths. kubectl before 1.27 validates manifests against it on the
 * client (it fetches it before {@code apply}/{@code create -f} and gives up when it is missing); it asks
 * for gnostic's protobuf form ({@link OpenApiV2Protobuf}), other clients for JSON. Both encodings are
 * built once per set of registered types and then served from memory.
 */
final class OpenApiV2 {
    /** The media type client-go sends in Accept for the protobuf form. */
    static final String PROTOBUF_TYPE = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

    private final ResourceTypes types;
    private final String version;
    private volatile Encoded cached;

    /** Both encodings of the document made from one list of types. */
    record Encoded(List<ResourceType> types, byte[] json, byte[] protobuf) {
    }

    OpenApiV2(ResourceTypes types, String version) {
        this.types = types;
        this.version = version;
    }

    /** The current encodings, rebuilt only when the registered types changed. */
    Encoded encoded() {
        List<ResourceType> now = types.all();
        Encoded e = cached;
        if (e == null || !e.types().equals(now)) {
            ObjectNode doc = document(now, version);
            try {
                e = new Encoded(now, KubeObjects.JSON.writeValueAsBytes(doc), OpenApiV2Protobuf.encode(doc));
            } catch (JsonProcessingException ex) {
                throw new IllegalStateException("the OpenAPI v2 document could not be encoded", ex);
            }
            cached = e;
        }
        return e;
    }

    static ObjectNode document(List<ResourceType> types, String version) {
        ObjectNode doc = KubeObjects.JSON.createObjectNode();
        doc.put("swagger", "2.0");
        ObjectNode info = doc.putObject("info");
        info.put("title", "Kubernetes");
        info.put("version", version);
        doc.putObject("paths");
        doc.set("definitions", ObjectSchemas.of(types));
        return doc;
    }

    /**
     * True when the Accept header prefers the protobuf form; false for JSON (also when there is no
     * header); null when it allows neither.
     */
    static Boolean wantsProtobuf(String accept) {
        if (accept == null || accept.isBlank()) {
            return false;
        }
        for (String range : accept.split(",")) {
            String type = range.split(";")[0].trim().toLowerCase(Locale.ROOT);
            if (type.equals(PROTOBUF_TYPE)) {
                return true;
            }
            if (type.equals("application/json") || type.equals("*/*") || type.equals("application/*")) {
                return false;
            }
        }
        return null;
    }
}
