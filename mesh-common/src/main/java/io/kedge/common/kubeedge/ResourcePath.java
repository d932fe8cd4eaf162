package io.kedge.common.kubeedge;

/**
 * KubeEdge's resource paths: {@code <namespace>/<type>/<name>} on the edge (cluster-scoped objects use
 * namespace {@code null}), prefixed {@code node/<nodeName>/} on the cloud side. Type names are
 * KubeEdge's lower-case singulars ({@code service}, {@code endpoints}, {@code endpointslice},
 * {@code pod}, {@code node}, {@code configmap}, {@code secret}, {@code device}, ...).
 *
 * @param node      the node on the cloud side, or null on the edge side
 * @param namespace namespace, or null for cluster-scoped objects
 * @param type      resource type
 * @param name      object name (may be empty for list-like resources)
 */
public record ResourcePath(String node, String namespace, String type, String name) {
    public static final String CLUSTER_SCOPED = "null";

    public static ResourcePath parse(String path) throws MessageException {
        String rest = path;
        String node = null;
        if (rest.startsWith("node/")) {
            int slash = rest.indexOf('/', 5);
            if (slash < 0) {
                throw new MessageException("resource \"" + path + "\" has a node prefix but no object");
            }
            node = rest.substring(5, slash);
            rest = rest.substring(slash + 1);
        }
        String[] parts = rest.split("/", 3);
        if (parts.length < 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new MessageException("resource \"" + path + "\" is not <namespace>/<type>/<name>");
        }
        String ns = CLUSTER_SCOPED.equals(parts[0]) ? null : parts[0];
        return new ResourcePath(node, ns, parts[1], parts.length == 3 ? parts[2] : "");
    }

    /** The edge-side form, without the node prefix. */
    public String edgeForm() {
        return (namespace == null ? CLUSTER_SCOPED : namespace) + "/" + type + (name.isEmpty() ? "" : "/" + name);
    }

    /** The cloud-side form, with the node prefix. */
    public String cloudForm(String nodeName) {
        return "node/" + nodeName + "/" + edgeForm();
    }

    @Override
    public String toString() {
        return node == null ? edgeForm() : cloudForm(node);
    }
}
