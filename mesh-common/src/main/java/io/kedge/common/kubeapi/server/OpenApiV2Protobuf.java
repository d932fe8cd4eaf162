package io.kedge.common.kubeapi.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Writes an OpenAPI v2 JSON document as gnostic's {@code openapi.v2.Document} protobuf message
 * (openapiv2/OpenAPIv2.proto), the form client-go's discovery client decodes. Only what kubectl reads
 * is written: {@code swagger}, {@code info}, {@code paths} (empty) and {@code definitions}, whose
 * schemas keep {@code $ref}, {@code format}, {@code description}, {@code required},
 * {@code additionalProperties}, {@code type}, {@code items}, {@code properties} and the {@code x-}
 * vendor extensions (as YAML text, which is how gnostic carries them).
 */
final class OpenApiV2Protobuf {
    // openapi.v2.Document
    static final int DOCUMENT_SWAGGER = 1;
    static final int DOCUMENT_INFO = 2;
    static final int DOCUMENT_PATHS = 8;
    static final int DOCUMENT_DEFINITIONS = 9;
    // openapi.v2.Info
    static final int INFO_TITLE = 1;
    static final int INFO_VERSION = 2;
    // openapi.v2.Definitions and openapi.v2.Properties: repeated NamedSchema additional_properties = 1
    static final int NAMED_SCHEMAS = 1;
    // openapi.v2.NamedSchema and openapi.v2.NamedAny
    static final int NAMED_NAME = 1;
    static final int NAMED_VALUE = 2;
    // openapi.v2.Any
    static final int ANY_YAML = 2;
    // openapi.v2.Schema
    static final int SCHEMA_REF = 1;
    static final int SCHEMA_FORMAT = 2;
    static final int SCHEMA_DESCRIPTION = 4;
    static final int SCHEMA_REQUIRED = 19;
    static final int SCHEMA_ADDITIONAL_PROPERTIES = 21;
    static final int SCHEMA_TYPE = 22;
    static final int SCHEMA_ITEMS = 23;
    static final int SCHEMA_PROPERTIES = 25;
    static final int SCHEMA_VENDOR_EXTENSION = 31;
    // openapi.v2.AdditionalPropertiesItem (oneof)
    static final int ADDITIONAL_SCHEMA = 1;
    static final int ADDITIONAL_BOOLEAN = 2;
    // openapi.v2.TypeItem and openapi.v2.ItemsItem: the repeated field is 1
    static final int REPEATED_VALUE = 1;

    private static final YAMLMapper YAML = new YAMLMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build());

    private OpenApiV2Protobuf() {
    }

    private interface Body {
        void writeTo(CodedOutputStream out) throws IOException;
    }

    static byte[] encode(ObjectNode doc) {
        return message(out -> {
            out.writeString(DOCUMENT_SWAGGER, doc.path("swagger").asText());
            out.writeByteArray(DOCUMENT_INFO, message(info -> {
                info.writeString(INFO_TITLE, doc.path("info").path("title").asText());
                info.writeString(INFO_VERSION, doc.path("info").path("version").asText());
            }));
            out.writeByteArray(DOCUMENT_PATHS, new byte[0]);
            out.writeByteArray(DOCUMENT_DEFINITIONS, namedSchemas(doc.path("definitions")));
        });
    }

    private static byte[] namedSchemas(JsonNode map) {
        return message(out -> {
            for (Map.Entry<String, JsonNode> e : map.properties()) {
                out.writeByteArray(NAMED_SCHEMAS, message(named -> {
                    named.writeString(NAMED_NAME, e.getKey());
                    named.writeByteArray(NAMED_VALUE, schema(e.getValue()));
                }));
            }
        });
    }

    private static byte[] schema(JsonNode s) {
        return message(out -> {
            if (s.has("$ref")) {
                out.writeString(SCHEMA_REF, s.get("$ref").asText());
            }
            if (s.has("format")) {
                out.writeString(SCHEMA_FORMAT, s.get("format").asText());
            }
            if (s.has("description")) {
                out.writeString(SCHEMA_DESCRIPTION, s.get("description").asText());
            }
            for (JsonNode r : s.path("required")) {
                out.writeString(SCHEMA_REQUIRED, r.asText());
            }
            JsonNode additional = s.get("additionalProperties");
            if (additional != null) {
                out.writeByteArray(SCHEMA_ADDITIONAL_PROPERTIES, message(a -> {
                    if (additional.isBoolean()) {
                        a.writeBool(ADDITIONAL_BOOLEAN, additional.asBoolean());
                    } else {
                        a.writeByteArray(ADDITIONAL_SCHEMA, schema(additional));
                    }
                }));
            }
            JsonNode type = s.get("type");
            if (type != null) {
                out.writeByteArray(SCHEMA_TYPE, message(t -> {
                    if (type.isArray()) {
                        for (JsonNode v : type) {
                            t.writeString(REPEATED_VALUE, v.asText());
                        }
                    } else {
                        t.writeString(REPEATED_VALUE, type.asText());
                    }
                }));
            }
            JsonNode items = s.get("items");
            if (items != null) {
                out.writeByteArray(SCHEMA_ITEMS, message(i -> {
                    if (items.isArray()) {
                        for (JsonNode item : items) {
                            i.writeByteArray(REPEATED_VALUE, schema(item));
                        }
                    } else {
                        i.writeByteArray(REPEATED_VALUE, schema(items));
                    }
                }));
            }
            if (s.has("properties")) {
                out.writeByteArray(SCHEMA_PROPERTIES, namedSchemas(s.get("properties")));
            }
            for (Map.Entry<String, JsonNode> e : s.properties()) {
                if (e.getKey().startsWith("x-")) {
                    out.writeByteArray(SCHEMA_VENDOR_EXTENSION, message(named -> {
                        named.writeString(NAMED_NAME, e.getKey());
                        named.writeByteArray(NAMED_VALUE, message(any -> any.writeString(ANY_YAML, yaml(e.getValue()))));
                    }));
                }
            }
        });
    }

    private static String yaml(JsonNode value) throws IOException {
        return YAML.writeValueAsString(value);
    }

    private static byte[] message(Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            body.writeTo(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
