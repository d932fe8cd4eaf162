package io.kedge.common.kubeapi;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The resource types a server serves. {@link #builtins()} holds the kinds Kedge needs (see
 * {@link BuiltinTypes}); {@link #register} adds more, also while serving (discovery follows). The
 * first version registered for a group is its preferred version.
 */
public final class ResourceTypes {
    private final List<ResourceType> types = new CopyOnWriteArrayList<>();

    public static ResourceTypes empty() {
        return new ResourceTypes();
    }

    /** A registry holding {@link BuiltinTypes#ALL}. */
    public static ResourceTypes builtins() {
        ResourceTypes registry = new ResourceTypes();
        BuiltinTypes.ALL.forEach(registry::register);
        return registry;
    }

    /**
     * Adds a type. A group/version may not serve the same plural twice, and the versions of one
     * group/resource must agree on kind and scope, since they share objects.
     */
    public synchronized ResourceTypes register(ResourceType type) {
        for (ResourceType t : types) {
            if (t.group().equals(type.group()) && t.plural().equals(type.plural())) {
                if (t.version().equals(type.version())) {
                    throw new IllegalArgumentException(type.apiVersion() + " " + type.plural() + " is already registered");
                }
                if (!t.kind().equals(type.kind()) || t.namespaced() != type.namespaced()) {
                    throw new IllegalArgumentException(type.groupResource() + " is registered as " + t.kind()
                            + (t.namespaced() ? " (namespaced)" : " (cluster-scoped)") + " in " + t.apiVersion());
                }
            }
        }
        types.add(type);
        return this;
    }

    public List<ResourceType> all() {
        return List.copyOf(types);
    }

    public Optional<ResourceType> find(String group, String version, String plural) {
        String g = group == null ? "" : group;
        return types.stream().filter(t -> t.group().equals(g) && t.version().equals(version) && t.plural().equals(plural)).findFirst();
    }

    /** The type serving {@code kind} in {@code apiVersion} ({@code v1}, {@code group/version}). */
    public Optional<ResourceType> byKind(String apiVersion, String kind) {
        return types.stream().filter(t -> t.apiVersion().equals(apiVersion) && t.kind().equals(kind)).findFirst();
    }

    /** The preferred (first registered) version's type of a group/resource. */
    public Optional<ResourceType> preferred(GroupResource resource) {
        return types.stream().filter(t -> t.groupResource().equals(resource)).findFirst();
    }

    /** Every group that has types, core ("") first, in registration order. */
    public List<String> groups() {
        LinkedHashSet<String> groups = new LinkedHashSet<>();
        for (ResourceType t : types) {
            groups.add(t.group());
        }
        return new ArrayList<>(groups);
    }

    /** The versions of a group, preferred first. */
    public List<String> versions(String group) {
        LinkedHashSet<String> versions = new LinkedHashSet<>();
        for (ResourceType t : types) {
            if (t.group().equals(group)) {
                versions.add(t.version());
            }
        }
        return new ArrayList<>(versions);
    }

    /** The types of one group/version, in registration order. */
    public List<ResourceType> inGroupVersion(String group, String version) {
        return types.stream().filter(t -> t.group().equals(group) && t.version().equals(version)).toList();
    }
}
