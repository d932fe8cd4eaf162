package io.kedge.common.kubeapi.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.ResourceTypes;
import java.util.List;
import java.util.TreeSet;

/**
 * The discovery documents kubectl and client libraries read before anything else: the legacy ones
 * ({@code /api}, {@code /apis}, {@code /apis/<group>}, {@code /api/v1}, {@code /apis/<group>/<version>})
 * and the aggregated form ({@code apidiscovery.k8s.io/v2}) that kubectl 1.30+ asks for first.
 * Built from the registry on every request, so types registered later appear.
 */
final class Discovery {
    private static final List<String> STATUS_VERBS = List.of("get", "patch", "update");

    private final ResourceTypes types;

    Discovery(ResourceTypes types) {
        this.types = types;
    }

    ObjectNode coreVersions(String serverAddress) {
        ObjectNode doc = KubeObjects.JSON.createObjectNode();
        doc.put("kind", "APIVersions");
        ArrayNode versions = doc.putArray("versions");
        types.versions("").forEach(versions::add);
        ObjectNode cidr = doc.putArray("serverAddressByClientCIDRs").addObject();
        cidr.put("clientCIDR", "0.0.0.0/0");
        cidr.put("serverAddress", serverAddress);
        return doc;
    }

    ObjectNode groupList() {
        ObjectNode doc = KubeObjects.JSON.createObjectNode();
        doc.put("kind", "APIGroupList");
        doc.put("apiVersion", "v1");
        ArrayNode groups = doc.putArray("groups");
        for (String group : types.groups()) {
            if (!group.isEmpty()) {
                groups.add(groupEntry(group));
            }
        }
        return doc;
    }

    /** The APIGroup document of {@code group}, or null when no type is in it. */
    ObjectNode group(String group) {
        if (group.isEmpty() || types.versions(group).isEmpty()) {
            return null;
        }
        ObjectNode doc = groupEntry(group);
        doc.put("kind", "APIGroup");
        doc.put("apiVersion", "v1");
        return doc;
    }

    private ObjectNode groupEntry(String group) {
        ObjectNode entry = KubeObjects.JSON.createObjectNode();
        entry.put("name", group);
        ArrayNode versions = entry.putArray("versions");
        List<String> list = types.versions(group);
        for (String v : list) {
            ObjectNode gv = versions.addObject();
            gv.put("groupVersion", group + "/" + v);
            gv.put("version", v);
        }
        ObjectNode preferred = entry.putObject("preferredVersion");
        preferred.put("groupVersion", group + "/" + list.get(0));
        preferred.put("version", list.get(0));
        return entry;
    }

    /** The APIResourceList of a group/version, or null when it serves nothing. */
    ObjectNode resourceList(String group, String version) {
        List<ResourceType> list = types.inGroupVersion(group, version);
        if (list.isEmpty()) {
            return null;
        }
        ObjectNode doc = KubeObjects.JSON.createObjectNode();
        doc.put("kind", "APIResourceList");
        doc.put("apiVersion", "v1");
        doc.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
        ArrayNode resources = doc.putArray("resources");
        for (ResourceType t : list) {
            ObjectNode r = resources.addObject();
            r.put("name", t.plural());
            r.put("singularName", t.singular());
            r.put("namespaced", t.namespaced());
            r.put("kind", t.kind());
            verbsAndNames(r, t);
            if (t.statusSubresource()) {
                ObjectNode s = resources.addObject();
                s.put("name", t.plural() + "/status");
                s.put("singularName", "");
                s.put("namespaced", t.namespaced());
                s.put("kind", t.kind());
                strings(s.putArray("verbs"), STATUS_VERBS);
            }
        }
        return doc;
    }

    /** Aggregated discovery for {@code /api} (core only) or {@code /apis} (every other group). */
    ObjectNode aggregated(boolean core) {
        ObjectNode doc = KubeObjects.JSON.createObjectNode();
        doc.put("kind", "APIGroupDiscoveryList");
        doc.put("apiVersion", "apidiscovery.k8s.io/v2");
        doc.putObject("metadata");
        ArrayNode items = doc.putArray("items");
        for (String group : types.groups()) {
            if (group.isEmpty() != core) {
                continue;
            }
            ObjectNode item = items.addObject();
            ObjectNode meta = item.putObject("metadata");
            if (!group.isEmpty()) {
                meta.put("name", group);
            }
            ArrayNode versions = item.putArray("versions");
            for (String version : types.versions(group)) {
                ObjectNode v = versions.addObject();
                v.put("version", version);
                ArrayNode resources = v.putArray("resources");
                for (ResourceType t : types.inGroupVersion(group, version)) {
                    ObjectNode r = resources.addObject();
                    r.put("resource", t.plural());
                    responseKind(r.putObject("responseKind"), t);
                    r.put("scope", t.namespaced() ? "Namespaced" : "Cluster");
                    r.put("singularResource", t.singular());
                    verbsAndNames(r, t);
                    if (t.statusSubresource()) {
                        ObjectNode s = r.putArray("subresources").addObject();
                        s.put("subresource", "status");
                        responseKind(s.putObject("responseKind"), t);
                        strings(s.putArray("verbs"), STATUS_VERBS);
                    }
                }
                v.put("freshness", "Current");
            }
        }
        return doc;
    }

    /** What both discovery forms say alike about a resource: verbs, short names, categories. */
    private static void verbsAndNames(ObjectNode r, ResourceType t) {
        strings(r.putArray("verbs"), t.verbs());
        if (!t.shortNames().isEmpty()) {
            strings(r.putArray("shortNames"), t.shortNames());
        }
        if (!t.categories().isEmpty()) {
            strings(r.putArray("categories"), t.categories());
        }
    }

    private static void responseKind(ObjectNode node, ResourceType t) {
        node.put("group", t.group());
        node.put("version", t.version());
        node.put("kind", t.kind());
    }

    private static void strings(ArrayNode array, java.util.Collection<String> values) {
        new TreeSet<>(values).forEach(array::add);
    }
}
