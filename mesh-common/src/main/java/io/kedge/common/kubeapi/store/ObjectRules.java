package io.kedge.common.kubeapi.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceType;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * What the API server itself decides about an object, whatever the store: name, label and
 * annotation syntax; the system fields it owns (uid, creationTimestamp, generation, apiVersion,
 * kind); which parts an update may change (status only through the status subresource and the
 * reverse); generation that counts changes outside metadata and status.
 */
public final class ObjectRules {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern QUALIFIED_NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");
    private static final String NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
    private static final long MAX_ANNOTATION_BYTES = 256 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ObjectRules() {
    }

    /** Namespaces and Services need DNS labels (they become DNS names); the rest DNS subdomains. */
    static boolean needsDnsLabel(ResourceType type) {
        return type.groupResource().equals(BuiltinTypes.NAMESPACES.groupResource())
                || type.groupResource().equals(BuiltinTypes.SERVICES.groupResource());
    }

    /** Fills metadata.name from generateName (name + 5 random characters) when only that is given. */
    static void generateName(ObjectNode object) {
        ObjectNode meta = KubeObjects.metadata(object);
        String name = KubeObjects.name(object);
        JsonNode prefix = meta.get("generateName");
        if ((name == null || name.isEmpty()) && prefix != null && prefix.isTextual() && !prefix.asText().isEmpty()) {
            StringBuilder sb = new StringBuilder(prefix.asText());
            for (int i = 0; i < 5; i++) {
                sb.append(NAME_SUFFIX_ALPHABET.charAt(RANDOM.nextInt(NAME_SUFFIX_ALPHABET.length())));
            }
            meta.put("name", sb.toString());
        }
    }

    /** Checks what Kubernetes validates for every kind; a problem is a 422 listing each offending field. */
    static void validate(ResourceType type, ObjectNode object) {
        List<ApiException.Cause> causes = new ArrayList<>();
        JsonNode metaNode = object.get("metadata");
        String name = KubeObjects.name(object);
        if (metaNode != null && !metaNode.isObject()) {
            causes.add(new ApiException.Cause("FieldValueInvalid", "must be an object", "metadata"));
        } else if (name == null || name.isEmpty()) {
            causes.add(new ApiException.Cause("FieldValueRequired", "name or generateName is required", "metadata.name"));
        } else if (needsDnsLabel(type)) {
            if (name.length() > 63 || !DNS_LABEL.matcher(name).matches()) {
                causes.add(new ApiException.Cause("FieldValueInvalid", "a lowercase RFC 1123 label must consist of lower case "
                        + "alphanumeric characters or '-', start and end with an alphanumeric character, at most 63 characters",
                        "metadata.name"));
            }
        } else if (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches()) {
            causes.add(new ApiException.Cause("FieldValueInvalid", "a lowercase RFC 1123 subdomain must consist of lower case "
                    + "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", "metadata.name"));
        }
        if (metaNode != null && metaNode.isObject()) {
            checkStringMap(metaNode.get("labels"), "metadata.labels", true, causes);
            checkStringMap(metaNode.get("annotations"), "metadata.annotations", false, causes);
            JsonNode finalizers = metaNode.get("finalizers");
            if (finalizers != null && !finalizers.isNull() && !finalizers.isArray()) {
                causes.add(new ApiException.Cause("FieldValueInvalid", "must be a list of strings", "metadata.finalizers"));
            }
        }
        if (!causes.isEmpty()) {
            throw ApiException.invalid(type.group(), type.kind(), name == null ? "" : name, causes);
        }
    }

    private static void checkStringMap(JsonNode map, String field, boolean labels, List<ApiException.Cause> causes) {
        if (map == null || map.isNull()) {
            return;
        }
        if (!map.isObject()) {
            causes.add(new ApiException.Cause("FieldValueInvalid", "must be a map of strings", field));
            return;
        }
        long size = 0;
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String key = e.getKey();
            if (!validQualifiedKey(key)) {
                causes.add(new ApiException.Cause("FieldValueInvalid", "invalid key \"" + key + "\": name part must consist of "
                        + "alphanumeric characters, '-', '_' or '.' (at most 63), with an optional DNS subdomain prefix and '/'",
                        field));
            }
            if (!e.getValue().isTextual()) {
                causes.add(new ApiException.Cause("FieldValueInvalid", "value of \"" + key + "\" must be a string", field));
                continue;
            }
            String value = e.getValue().asText();
            size += key.length() + value.length();
            if (labels && (value.length() > 63 || !LABEL_VALUE.matcher(value).matches())) {
                causes.add(new ApiException.Cause("FieldValueInvalid", "invalid label value \"" + value + "\" of \"" + key
                        + "\": at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric",
                        field));
            }
        }
        if (!labels && size > MAX_ANNOTATION_BYTES) {
            causes.add(new ApiException.Cause("FieldValueTooLong", "annotations may not exceed " + MAX_ANNOTATION_BYTES + " bytes", field));
        }
    }

    private static boolean validQualifiedKey(String key) {
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            if (prefix.isEmpty() || prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
                return false;
            }
        }
        return !name.isEmpty() && name.length() <= 63 && QUALIFIED_NAME.matcher(name).matches();
    }

    /** Stamps a new object: system fields set, client-set ones it may not choose cleared. */
    static void prepareCreate(ResourceType type, ObjectNode object, Instant now) {
        object.put("apiVersion", type.apiVersion());
        object.put("kind", type.kind());
        ObjectNode meta = KubeObjects.metadata(object);
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", KubeObjects.timestamp(now));
        meta.put("generation", 1);
        meta.remove(List.of("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"));
        if (!type.namespaced()) {
            meta.remove("namespace");
        }
        if (type.groupResource().equals(BuiltinTypes.NAMESPACES.groupResource())) {
            ObjectNode spec = object.get("spec") instanceof ObjectNode s ? s : object.putObject("spec");
            if (!spec.has("finalizers")) {
                spec.putArray("finalizers").add("kubernetes");
            }
            ObjectNode status = object.get("status") instanceof ObjectNode s ? s : object.putObject("status");
            status.put("phase", "Active");
        }
    }

    /**
     * The object an update stores: {@code incoming}'s content on {@code stored}'s identity. A main
     * update keeps the stored status when the type has a status subresource; a status update keeps
     * everything but the status. Generation moves when anything outside metadata and status does.
     */
    static ObjectNode prepareUpdate(ResourceType type, ObjectNode stored, ObjectNode incoming, boolean statusUpdate) {
        ObjectNode result;
        if (statusUpdate) {
            result = stored.deepCopy();
            setOrRemove(result, "status", incoming.get("status"));
        } else {
            result = incoming.deepCopy();
            if (type.statusSubresource()) {
                setOrRemove(result, "status", stored.get("status"));
            }
        }
        result.put("apiVersion", type.apiVersion());
        result.put("kind", type.kind());
        ObjectNode meta = KubeObjects.metadata(result);
        JsonNode old = stored.get("metadata");
        for (String owned : List.of("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "namespace", "name")) {
            setOrRemove(meta, owned, old.get(owned));
        }
        meta.remove("selfLink");
        long generation = old.path("generation").asLong(1) + (specChanged(stored, result) ? 1 : 0);
        // As an int when it fits: that is how it reads back from JSON, and trees compare by node type.
        if (generation <= Integer.MAX_VALUE) {
            meta.put("generation", (int) generation);
        } else {
            meta.put("generation", generation);
        }
        return result;
    }

    /** True when the objects differ outside metadata and status. */
    private static boolean specChanged(ObjectNode a, ObjectNode b) {
        ObjectNode x = a.deepCopy();
        ObjectNode y = b.deepCopy();
        x.remove(List.of("metadata", "status"));
        y.remove(List.of("metadata", "status"));
        return !x.equals(y);
    }

    /** True when the two states are the same apart from resourceVersion (a write that changes nothing). */
    static boolean sameContent(ObjectNode stored, ObjectNode next) {
        ObjectNode x = stored.deepCopy();
        ObjectNode y = next.deepCopy();
        KubeObjects.metadata(x).remove("resourceVersion");
        KubeObjects.metadata(y).remove("resourceVersion");
        return x.equals(y);
    }

    static boolean hasFinalizers(JsonNode object) {
        JsonNode f = object.path("metadata").path("finalizers");
        return f.isArray() && !f.isEmpty();
    }

    static boolean markedForDeletion(JsonNode object) {
        return object.path("metadata").hasNonNull("deletionTimestamp");
    }

    /** 409 unless the stored object has the expected uid and resourceVersion (each when given). */
    static void checkPreconditions(ResourceType type, ObjectNode stored, String uid, String resourceVersion) {
        String name = KubeObjects.name(stored);
        if (uid != null && !uid.isEmpty() && !Objects.equals(uid, KubeObjects.uid(stored))) {
            throw ApiException.conflict(type.groupResource(), name, "Precondition failed: UID in precondition: " + uid
                    + ", UID in object meta: " + KubeObjects.uid(stored));
        }
        if (resourceVersion != null && !resourceVersion.isEmpty() && !resourceVersion.equals(KubeObjects.resourceVersion(stored))) {
            throw ApiException.conflict(type.groupResource(), name,
                    "the object has been modified; please apply your changes to the latest version and try again");
        }
    }

    private static void setOrRemove(ObjectNode target, String field, JsonNode value) {
        if (value == null || value.isMissingNode()) {
            target.remove(field);
        } else {
            target.set(field, value.deepCopy());
        }
    }
}
