package io.kedge.common.kubeapi.server;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.AnyType;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Version;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.patch.PatchSchema;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The Swagger 2.0 {@code definitions} of the served kinds, named as Kubernetes names them
 * ({@code io.k8s.api.core.v1.Pod}). Built-in kinds are described by walking fabric8's model classes
 * (the Kubernetes Go types transcribed to Java, Jackson-annotated), so every field a valid manifest may
 * carry is there and an unknown one is caught by kubectl's client-side validation. Kinds without a
 * model class (custom resources: Devices, DestinationRules) get what a structural CRD with
 * {@code x-kubernetes-preserve-unknown-fields} gives: typed {@code apiVersion}, {@code kind},
 * {@code metadata}, and free-form {@code spec} and {@code status}.
 *
 * <p>Each kind's definition carries {@code x-kubernetes-group-version-kind}, which is how kubectl finds
 * it, and the lists its {@link PatchSchema} merges carry {@code x-kubernetes-patch-strategy} and
 * {@code x-kubernetes-patch-merge-key}: kubectl computes {@code apply}'s strategic merge patch from
 * these when it has them, so they must say what the server merges.
 */
final class ObjectSchemas {
    static final String GVK = "x-kubernetes-group-version-kind";
    static final String OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

    /** fabric8 keeps apimachinery's meta/v1 types in the core package; these are they. */
    private static final Set<String> META_V1 = Set.of("ObjectMeta", "ListMeta", "OwnerReference", "ManagedFieldsEntry", "FieldsV1",
            "LabelSelector", "LabelSelectorRequirement", "Status", "StatusDetails", "StatusCause", "Condition", "TypeMeta",
            "DeleteOptions", "Preconditions", "MicroTime", "Time");
    private static final String MODEL_PACKAGE = "io.fabric8.kubernetes.api.model";

    private final ObjectMapper introspection = new ObjectMapper();
    private final ObjectNode definitions = KubeObjects.JSON.createObjectNode();

    private ObjectSchemas() {
    }

    /** The definitions of {@code types} and of everything they refer to. */
    static ObjectNode of(Collection<ResourceType> types) {
        ObjectSchemas schemas = new ObjectSchemas();
        schemas.reference(ObjectMeta.class, PatchSchema.OBJECT_META, "metadata");
        for (ResourceType type : types) {
            schemas.kind(type);
        }
        return schemas.definitions;
    }

    /** The model class of a built-in kind, or null when fabric8 has none (custom resources). */
    static Class<?> modelClass(ResourceType type) {
        String pkg = type.group().isEmpty() ? MODEL_PACKAGE
                : MODEL_PACKAGE + "." + type.group().split("\\.")[0].toLowerCase(Locale.ROOT) + "." + type.version();
        Class<?> c;
        try {
            c = Class.forName(pkg + "." + type.kind(), false, ObjectSchemas.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
        Group group = c.getAnnotation(Group.class);
        Version version = c.getAnnotation(Version.class);
        boolean same = group != null && version != null && group.value().equals(type.group()) && version.value().equals(type.version());
        return same ? c : null;
    }

    /** Definition name of a kind: Kubernetes' for built-ins, the reversed group (as for CRDs) otherwise. */
    static String definitionName(ResourceType type) {
        Class<?> model = modelClass(type);
        if (model != null) {
            return definitionName(model);
        }
        List<String> parts = new ArrayList<>(List.of(type.group().split("\\.")));
        java.util.Collections.reverse(parts);
        return String.join(".", parts) + "." + type.version() + "." + type.kind();
    }

    private void kind(ResourceType type) {
        Class<?> model = modelClass(type);
        ObjectNode schema;
        if (model != null) {
            PatchSchema patch = type.patchSchema() == null ? PatchSchema.OBJECT_META : type.patchSchema();
            reference(model, patch, "");
            schema = (ObjectNode) definitions.get(definitionName(model));
        } else {
            schema = customResource(type);
            definitions.set(definitionName(type), schema);
        }
        ObjectNode gvk = schema.withArray(GVK).addObject();
        gvk.put("group", type.group());
        gvk.put("kind", type.kind());
        gvk.put("version", type.version());
    }

    private static ObjectNode customResource(ResourceType type) {
        ObjectNode schema = KubeObjects.JSON.createObjectNode();
        schema.put("description", type.kind() + " (" + type.apiVersion() + "): spec and status are not checked here.");
        schema.put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        properties.putObject("apiVersion").put("type", "string");
        properties.putObject("kind").put("type", "string");
        properties.putObject("metadata").put("$ref", "#/definitions/" + OBJECT_META);
        // No type and no properties: kubectl treats the subtree as arbitrary (preserve-unknown-fields).
        properties.putObject("spec");
        properties.putObject("status");
        return schema;
    }

    /** Makes sure the definition of {@code model} exists; {@code path} is its place in the kind, for patch rules. */
    private String reference(Class<?> model, PatchSchema patch, String path) {
        String name = definitionName(model);
        if (definitions.has(name)) {
            // Shared types (ObjectMeta, Container) get the rules of their first place; the kinds served
            // here never use one type under two different rules.
            return name;
        }
        ObjectNode schema = definitions.putObject(name);
        schema.put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        JavaType type = introspection.constructType(model);
        BeanDescription bean = introspection.getSerializationConfig().introspect(type);
        for (BeanPropertyDefinition property : bean.findProperties()) {
            if (!property.couldSerialize()) {
                continue;
            }
            String child = PatchSchema.child(path, property.getName());
            ObjectNode p = schemaOf(property.getPrimaryType(), patch, child);
            patchExtensions(p, patch, child);
            properties.set(property.getName(), p);
        }
        if (properties.isEmpty()) {
            // A class with no fields of its own stands for free-form JSON (FieldsV1 in managedFields):
            // an object with no properties, which kubectl takes as a map of anything, not as "no field allowed".
            schema.remove("properties");
        }
        return name;
    }

    private ObjectNode schemaOf(JavaType type, PatchSchema patch, String path) {
        ObjectNode s = KubeObjects.JSON.createObjectNode();
        Class<?> raw = type.getRawClass();
        if (type.isCollectionLikeType() || type.isArrayType() && raw != byte[].class) {
            s.put("type", "array");
            s.set("items", schemaOf(type.getContentType(), patch, PatchSchema.element(path)));
        } else if (type.isMapLikeType()) {
            s.put("type", "object");
            s.set("additionalProperties", schemaOf(type.getContentType(), patch, path + ".*"));
        } else if (raw == String.class || raw == byte[].class || raw.isEnum()) {
            s.put("type", "string");
        } else if (raw == Integer.class || raw == int.class || raw == Short.class || raw == short.class) {
            s.put("type", "integer").put("format", "int32");
        } else if (raw == Long.class || raw == long.class) {
            s.put("type", "integer").put("format", "int64");
        } else if (raw == Double.class || raw == double.class || raw == Float.class || raw == float.class) {
            s.put("type", "number").put("format", "double");
        } else if (raw == Boolean.class || raw == boolean.class) {
            s.put("type", "boolean");
        } else if (raw == IntOrString.class) {
            s.put("type", "string").put("format", "int-or-string");
        } else if (AnyType.class.isAssignableFrom(raw) || raw == Object.class || raw.isInterface()
                || Modifier.isAbstract(raw.getModifiers()) || Map.class.isAssignableFrom(raw)
                || com.fasterxml.jackson.databind.JsonNode.class.isAssignableFrom(raw)) {
            // Any JSON value: no type, no properties.
            return s;
        } else if (customSerialized(raw)) {
            // Quantity, Duration, MicroTime: written as strings.
            s.put("type", "string");
        } else if (raw.getName().startsWith(MODEL_PACKAGE + ".")) {
            s.put("$ref", "#/definitions/" + reference(raw, patch, path));
        } else {
            return s;
        }
        return s;
    }

    private static boolean customSerialized(Class<?> raw) {
        JsonSerialize ser = raw.getAnnotation(JsonSerialize.class);
        JsonDeserialize de = raw.getAnnotation(JsonDeserialize.class);
        return ser != null && ser.using() != com.fasterxml.jackson.databind.JsonSerializer.None.class
                || de != null && de.using() != com.fasterxml.jackson.databind.JsonDeserializer.None.class;
    }

    private static void patchExtensions(ObjectNode schema, PatchSchema patch, String path) {
        PatchSchema.Field field = patch.field(path);
        PatchSchema.Field elements = patch.field(PatchSchema.element(path));
        List<String> strategies = new ArrayList<>();
        if (field != null && field.mergeList()) {
            strategies.add("merge");
        }
        if (field != null && field.retainKeys() || elements != null && elements.retainKeys()) {
            strategies.add("retainKeys");
        }
        if (!strategies.isEmpty()) {
            schema.put("x-kubernetes-patch-strategy", String.join(",", strategies));
        }
        if (field != null && field.mergeKey() != null) {
            schema.put("x-kubernetes-patch-merge-key", field.mergeKey());
        }
    }

    /** {@code io.k8s.api.core.v1.Pod}, {@code io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta}, ... */
    static String definitionName(Class<?> model) {
        String pkg = model.getPackageName();
        String simple = model.getSimpleName();
        if (pkg.equals(MODEL_PACKAGE)) {
            return (META_V1.contains(simple) ? "io.k8s.apimachinery.pkg.apis.meta.v1." : "io.k8s.api.core.v1.") + simple;
        }
        return "io.k8s.api." + pkg.substring(MODEL_PACKAGE.length() + 1) + "." + simple;
    }
}
