package io.kedge.common.kubeapi.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.ResourceTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenApiV2Test {
    private static final YAMLMapper YAML = new YAMLMapper();

    private final ResourceTypes types = ResourceTypes.builtins();
    private final OpenApiV2 openApi = new OpenApiV2(types, "v1.32.0");

    private JsonNode json() throws Exception {
        return KubeObjects.JSON.readTree(openApi.encoded().json());
    }

    @Test
    void everyServedKindHasOneDefinitionFoundByItsGroupVersionKind() throws Exception {
        JsonNode doc = json();
        assertThat(doc.path("swagger").asText()).isEqualTo("2.0");
        assertThat(doc.path("info").path("version").asText()).isEqualTo("v1.32.0");
        assertThat(doc.path("paths").isObject()).isTrue();
        JsonNode definitions = doc.path("definitions");
        for (ResourceType t : types.all()) {
            List<String> found = new ArrayList<>();
            definitions.properties().forEach(e -> {
                for (JsonNode gvk : e.getValue().path(ObjectSchemas.GVK)) {
                    if (gvk.path("group").asText().equals(t.group()) && gvk.path("version").asText().equals(t.version())
                            && gvk.path("kind").asText().equals(t.kind())) {
                        found.add(e.getKey());
                    }
                }
            });
            assertThat(found).as(t.apiVersion() + " " + t.kind()).hasSize(1);
        }
        assertThat(definitions.path("io.k8s.api.core.v1.Pod").path(ObjectSchemas.GVK))
                .isEqualTo(KubeObjects.JSON.readTree("[{\"group\":\"\",\"kind\":\"Pod\",\"version\":\"v1\"}]"));
        assertThat(definitions.has("io.k8s.api.discovery.v1.EndpointSlice")).isTrue();
        assertThat(definitions.has("io.istio.networking.v1beta1.DestinationRule")).isTrue();
        assertThat(definitions.has("io.istio.networking.v1.DestinationRule")).isTrue();
    }

    @Test
    void builtInKindsAreTypedDownToTheirLeaves() throws Exception {
        JsonNode d = json().path("definitions");
        JsonNode pod = d.path("io.k8s.api.core.v1.Pod").path("properties");
        assertThat(pod.path("metadata").path("$ref").asText()).isEqualTo("#/definitions/" + ObjectSchemas.OBJECT_META);
        assertThat(pod.path("spec").path("$ref").asText()).isEqualTo("#/definitions/io.k8s.api.core.v1.PodSpec");
        JsonNode container = d.path("io.k8s.api.core.v1.Container").path("properties");
        assertThat(container.path("image").path("type").asText()).isEqualTo("string");
        assertThat(container.has("imagee")).isFalse();
        assertThat(container.path("ports").path("items").path("$ref").asText()).isEqualTo("#/definitions/io.k8s.api.core.v1.ContainerPort");
        assertThat(d.path("io.k8s.api.core.v1.ContainerPort").path("properties").path("containerPort").path("type").asText())
                .isEqualTo("integer");
        assertThat(d.path("io.k8s.api.core.v1.ServicePort").path("properties").path("targetPort"))
                .isEqualTo(KubeObjects.JSON.readTree("{\"type\":\"string\",\"format\":\"int-or-string\"}"));
        assertThat(d.path("io.k8s.api.core.v1.ResourceRequirements").path("properties").path("limits").path("additionalProperties")
                .path("type").asText()).as("quantities are strings").isEqualTo("string");
        assertThat(d.path(ObjectSchemas.OBJECT_META).path("properties").path("labels"))
                .isEqualTo(KubeObjects.JSON.readTree("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}"));
        assertThat(d.path("io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1")).as("managedFields entries are free-form")
                .isEqualTo(KubeObjects.JSON.readTree("{\"type\":\"object\"}"));
        assertThat(d.path("io.k8s.api.core.v1.ConfigMap").path("properties").path("binaryData").path("additionalProperties")
                .path("type").asText()).isEqualTo("string");
    }

    @Test
    void customResourcesLeaveSpecAndStatusFreeButNotTheTopLevel() throws Exception {
        JsonNode device = json().path("definitions").path("io.kubeedge.devices.v1beta1.Device");
        assertThat(device.path("type").asText()).isEqualTo("object");
        List<String> fields = new ArrayList<>();
        device.path("properties").fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactlyInAnyOrder("apiVersion", "kind", "metadata", "spec", "status");
        assertThat(device.path("properties").path("spec").isEmpty()).as("no type, no properties: anything goes").isTrue();
        assertThat(device.path("properties").path("status").isEmpty()).isTrue();
    }

    @Test
    void listsCarryTheMergeRulesTheServerApplies() throws Exception {
        JsonNode d = json().path("definitions");
        JsonNode ports = d.path("io.k8s.api.core.v1.ServiceSpec").path("properties").path("ports");
        assertThat(ports.path("x-kubernetes-patch-strategy").asText()).isEqualTo("merge");
        assertThat(ports.path("x-kubernetes-patch-merge-key").asText()).isEqualTo("port");
        JsonNode podSpec = d.path("io.k8s.api.core.v1.PodSpec").path("properties");
        assertThat(podSpec.path("containers").path("x-kubernetes-patch-merge-key").asText()).isEqualTo("name");
        assertThat(podSpec.path("volumes").path("x-kubernetes-patch-strategy").asText()).isEqualTo("merge,retainKeys");
        JsonNode env = d.path("io.k8s.api.core.v1.Container").path("properties").path("env");
        assertThat(env.path("x-kubernetes-patch-merge-key").asText()).isEqualTo("name");
        JsonNode finalizers = d.path(ObjectSchemas.OBJECT_META).path("properties").path("finalizers");
        assertThat(finalizers.path("x-kubernetes-patch-strategy").asText()).isEqualTo("merge");
        assertThat(finalizers.has("x-kubernetes-patch-merge-key")).isFalse();
        assertThat(d.path("io.k8s.api.core.v1.PodSpec").path("properties").path("tolerations").has("x-kubernetes-patch-strategy"))
                .as("lists without a rule are replaced").isFalse();
    }

    @Test
    void everyReferenceResolvesAndEveryArrayHasItems() throws Exception {
        // kubectl rejects the whole document for one dangling $ref or one array without items.
        JsonNode definitions = json().path("definitions");
        List<JsonNode> schemas = new ArrayList<>();
        definitions.forEach(schemas::add);
        int checked = 0;
        while (!schemas.isEmpty()) {
            JsonNode s = schemas.remove(schemas.size() - 1);
            checked++;
            if (s.has("$ref")) {
                String target = s.get("$ref").asText();
                assertThat(target).startsWith("#/definitions/");
                assertThat(definitions.has(target.substring("#/definitions/".length()))).as(target).isTrue();
                assertThat(s.has("type") || s.has("properties")).as("a reference has no type of its own: " + s).isFalse();
            }
            assertThat(s.has("properties") && s.get("properties").isEmpty())
                    .as("kubectl refuses every field of an object with empty properties: " + s).isFalse();
            if (s.path("type").asText().equals("array")) {
                assertThat(s.path("items").isObject()).as(s.toString()).isTrue();
            }
            s.path("properties").forEach(schemas::add);
            if (s.has("items")) {
                schemas.add(s.get("items"));
            }
            if (s.path("additionalProperties").isObject()) {
                schemas.add(s.get("additionalProperties"));
            }
        }
        assertThat(checked).isGreaterThan(500);
    }

    @Test
    void protobufDecodesBackToTheJsonDocument() throws Exception {
        OpenApiV2.Encoded encoded = openApi.encoded();
        UnknownFieldSet doc = UnknownFieldSet.parseFrom(encoded.protobuf());
        assertThat(string(doc, 1)).isEqualTo("2.0");
        UnknownFieldSet info = message(doc, 2);
        assertThat(string(info, 1)).isEqualTo("Kubernetes");
        assertThat(string(info, 2)).isEqualTo("v1.32.0");
        assertThat(doc.hasField(8)).as("paths").isTrue();

        ObjectNode decoded = namedSchemas(message(doc, 9));
        JsonNode expected = KubeObjects.JSON.readTree(encoded.json()).path("definitions");
        assertThat(decoded.size()).isEqualTo(expected.size());
        assertThat(decoded).isEqualTo(expected);
        assertThat(decoded.path("io.k8s.api.core.v1.Service").path(ObjectSchemas.GVK).get(0).path("kind").asText()).isEqualTo("Service");
    }

    @Test
    void theEncodingsAreBuiltOnceAndAgainOnlyWhenTypesChange() throws Exception {
        OpenApiV2.Encoded first = openApi.encoded();
        assertThat(openApi.encoded()).isSameAs(first);
        types.register(ResourceType.builder("example.kedge.io", "v1", "Widget").plural("widgets").build());
        OpenApiV2.Encoded second = openApi.encoded();
        assertThat(second).isNotSameAs(first);
        JsonNode widget = KubeObjects.JSON.readTree(second.json()).path("definitions").path("io.kedge.example.v1.Widget");
        assertThat(widget.path(ObjectSchemas.GVK).get(0).path("group").asText()).isEqualTo("example.kedge.io");
    }

    @Test
    void acceptHeaderChoosesTheEncoding() {
        assertThat(OpenApiV2.wantsProtobuf(null)).isFalse();
        assertThat(OpenApiV2.wantsProtobuf("application/json")).isFalse();
        assertThat(OpenApiV2.wantsProtobuf(OpenApiV2.PROTOBUF_TYPE)).isTrue();
        assertThat(OpenApiV2.wantsProtobuf(OpenApiV2.PROTOBUF_TYPE + ", application/json")).isTrue();
        assertThat(OpenApiV2.wantsProtobuf("application/json;q=0.9, " + OpenApiV2.PROTOBUF_TYPE)).isFalse();
        assertThat(OpenApiV2.wantsProtobuf("*/*")).isFalse();
        assertThat(OpenApiV2.wantsProtobuf("text/html")).isNull();
    }

    @Test
    void kindsWithoutAModelClassAreRecognised() {
        assertThat(ObjectSchemas.modelClass(BuiltinTypes.PODS)).isEqualTo(io.fabric8.kubernetes.api.model.Pod.class);
        assertThat(ObjectSchemas.modelClass(BuiltinTypes.ENDPOINT_SLICES))
                .isEqualTo(io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice.class);
        assertThat(ObjectSchemas.modelClass(BuiltinTypes.DEVICES)).isNull();
        // Same kind name, another group: not the core class.
        assertThat(ObjectSchemas.modelClass(ResourceType.builder("example.kedge.io", "v1", "Pod").plural("pods").build())).isNull();
    }

    // ---- an independent reader of gnostic's openapi.v2 messages, built on protobuf's UnknownFieldSet ----

    private static String string(UnknownFieldSet m, int field) {
        return m.getField(field).getLengthDelimitedList().get(0).toStringUtf8();
    }

    private static UnknownFieldSet message(UnknownFieldSet m, int field) throws InvalidProtocolBufferException {
        return UnknownFieldSet.parseFrom(m.getField(field).getLengthDelimitedList().get(0));
    }

    /** Definitions / Properties: repeated NamedSchema (1: name, 2: Schema). */
    private static ObjectNode namedSchemas(UnknownFieldSet m) throws Exception {
        ObjectNode out = KubeObjects.JSON.createObjectNode();
        for (ByteString b : m.getField(1).getLengthDelimitedList()) {
            UnknownFieldSet named = UnknownFieldSet.parseFrom(b);
            out.set(string(named, 1), schema(message(named, 2)));
        }
        return out;
    }

    private static ObjectNode schema(UnknownFieldSet s) throws Exception {
        ObjectNode out = KubeObjects.JSON.createObjectNode();
        Map<Integer, UnknownFieldSet.Field> fields = s.asMap();
        for (Map.Entry<Integer, UnknownFieldSet.Field> e : fields.entrySet()) {
            List<ByteString> values = e.getValue().getLengthDelimitedList();
            switch (e.getKey()) {
                case 1 -> out.put("$ref", values.get(0).toStringUtf8());
                case 2 -> out.put("format", values.get(0).toStringUtf8());
                case 4 -> out.put("description", values.get(0).toStringUtf8());
                case 19 -> {
                    ArrayNode required = out.putArray("required");
                    values.forEach(v -> required.add(v.toStringUtf8()));
                }
                case 21 -> {
                    UnknownFieldSet additional = UnknownFieldSet.parseFrom(values.get(0));
                    out.set("additionalProperties", additional.hasField(1) ? schema(message(additional, 1))
                            : KubeObjects.JSON.getNodeFactory().booleanNode(additional.getField(2).getVarintList().get(0) != 0));
                }
                case 22 -> {
                    List<ByteString> t = UnknownFieldSet.parseFrom(values.get(0)).getField(1).getLengthDelimitedList();
                    assertThat(t).hasSize(1);
                    out.put("type", t.get(0).toStringUtf8());
                }
                case 23 -> {
                    List<ByteString> items = UnknownFieldSet.parseFrom(values.get(0)).getField(1).getLengthDelimitedList();
                    assertThat(items).hasSize(1);
                    out.set("items", schema(UnknownFieldSet.parseFrom(items.get(0))));
                }
                case 25 -> out.set("properties", namedSchemas(UnknownFieldSet.parseFrom(values.get(0))));
                case 31 -> {
                    for (ByteString b : values) {
                        UnknownFieldSet named = UnknownFieldSet.parseFrom(b);
                        String yaml = string(message(named, 2), 2);
                        out.set(string(named, 1), YAML.readTree(yaml));
                    }
                }
                default -> throw new AssertionError("unexpected Schema field " + e.getKey());
            }
        }
        return out;
    }
}
