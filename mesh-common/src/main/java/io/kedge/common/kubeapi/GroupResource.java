package io.kedge.common.kubeapi;

/**
 * What a store keys objects by: an API group and a resource (plural) name, without the version, so
 * that every served version of a resource (DestinationRule v1 and v1beta1) reads the same objects.
 * Prints the way Kubernetes error messages do: {@code services}, {@code devices.devices.kubeedge.io}.
 */
public record GroupResource(String group, String resource) {
    public GroupResource {
        group = group == null ? "" : group;
    }

    @Override
    public String toString() {
        return group.isEmpty() ? resource : resource + "." + group;
    }
}
