package io.kedge.common.kubeapi.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.ResourceTypes;
import io.kedge.common.kubeapi.patch.PatchType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The OpenAPI v3 documents kubectl reads: {@code /openapi/v3} (an index of group-versions) and one
 * document per group-version listing its paths. What kubectl needs from them is that every kind's
 * PATCH operation carries {@code x-kubernetes-group-version-kind} and accepts the
 * {@code fieldValidation} query parameter: then {@code kubectl apply} leaves validation to the server
 * instead of demanding schemas. No object schemas are published, so {@code kubectl apply} computes
 * strategic merge patches from its compiled-in types (exactly the merge keys this server applies) and
 * JSON merge patches for other kinds.
 */
final class OpenApi {
    private static final List<String> QUERY_PARAMETERS = List.of("dryRun", "fieldManager", "fieldValidation", "force", "pretty");

    private final ResourceTypes types;
    private final String version;

    OpenApi(ResourceTypes types, String version) {
        this.types = types;
        this.version = version;
    }

    ObjectNode index() {
        ObjectNode doc = KubeObjects.JSON.createObjectNode();
        ObjectNode paths = doc.putObject("paths");
        for (String group : types.groups()) {
            for (String v : types.versions(group)) {
                String key = group.isEmpty() ? "api/" + v : "apis/" + group + "/" + v;
                paths.putObject(key).put("serverRelativeURL", "/openapi/v3/" + key + "?hash=" + hash(document(group, v)));
            }
        }
        return doc;
    }

    /** The document of one group-version, or null when it serves nothing. */
    ObjectNode document(String group, String v) {
        List<ResourceType> list = types.inGroupVersion(group, v);
        if (list.isEmpty()) {
            return null;
        }
        ObjectNode doc = KubeObjects.JSON.createObjectNode();
        doc.put("openapi", "3.0.0");
        ObjectNode info = doc.putObject("info");
        info.put("title", "Kubernetes");
        info.put("version", version);
        ObjectNode paths = doc.putObject("paths");
        for (ResourceType t : list) {
            String base = t.basePath() + (t.namespaced() ? "/namespaces/{namespace}/" : "/") + t.plural() + "/{name}";
            object(paths.putObject(base), t, "");
            if (t.statusSubresource()) {
                object(paths.putObject(base + "/status"), t, "Status");
            }
        }
        ObjectNode schemas = doc.putObject("components").putObject("schemas");
        schemas.putObject("io.k8s.apimachinery.pkg.apis.meta.v1.Patch").put("type", "object")
                .put("description", "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.");
        return doc;
    }

    private void object(ObjectNode path, ResourceType t, String suffix) {
        ArrayNode common = path.putArray("parameters");
        pathParameter(common, "name");
        if (t.namespaced()) {
            pathParameter(common, "namespace");
        }
        ObjectNode patch = path.putObject("patch");
        patch.put("operationId", "patch" + t.kind() + suffix);
        ArrayNode params = patch.putArray("parameters");
        for (String q : QUERY_PARAMETERS) {
            ObjectNode p = params.addObject();
            p.put("name", q);
            p.put("in", "query");
            p.putObject("schema").put("type", q.equals("force") ? "boolean" : "string");
        }
        ObjectNode content = patch.putObject("requestBody").putObject("content");
        for (PatchType type : PatchType.values()) {
            if (type == PatchType.STRATEGIC && !t.strategicMerge()) {
                continue;
            }
            content.putObject(type.contentType()).putObject("schema").put("$ref", "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch");
        }
        patch.putObject("responses").putObject("200").put("description", "OK");
        patch.put("x-kubernetes-action", "patch");
        ObjectNode gvk = patch.putObject("x-kubernetes-group-version-kind");
        gvk.put("group", t.group());
        gvk.put("version", t.version());
        gvk.put("kind", t.kind());
    }

    private static void pathParameter(ArrayNode params, String name) {
        ObjectNode p = params.addObject();
        p.put("name", name);
        p.put("in", "path");
        p.put("required", true);
        p.putObject("schema").put("type", "string");
    }

    private static String hash(ObjectNode doc) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(KubeObjects.JSON.writeValueAsString(doc).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16).toUpperCase(java.util.Locale.ROOT);
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
