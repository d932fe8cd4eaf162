package io.kedge.common.kubeapi.patch;

import java.util.HashMap;
import java.util.Map;

/**
 * The strategic-merge metadata of one kind: which lists merge by a key (and which key), which
 * lists of scalars merge as sets, and which fields follow the {@code retainKeys} strategy. These are
 * the {@code patchStrategy}/{@code patchMergeKey} tags of the Kubernetes Go types, written as paths:
 * {@code spec.containers} is a field, {@code spec.containers[].ports} a field of each element.
 * A list not named here is replaced as a whole, as Kubernetes does for untagged lists.
 */
public final class PatchSchema {
    /** How one field merges. {@code mergeKey} is null for a merged list of scalars. */
    public record Field(boolean mergeList, String mergeKey, boolean retainKeys) {
    }

    /** What every kind shares: ObjectMeta's finalizers and ownerReferences. */
    public static final PatchSchema OBJECT_META = builder()
            .mergeScalars("metadata.finalizers")
            .mergeList("metadata.ownerReferences", "uid")
            .build();

    private final Map<String, Field> fields;

    private PatchSchema(Map<String, Field> fields) {
        this.fields = Map.copyOf(fields);
    }

    /** The merge rule of the field at {@code path}, or null when it has none (maps merge, lists replace). */
    public Field field(String path) {
        return fields.get(path);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Path of a map key below {@code parent}. */
    public static String child(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    /** Path of the elements of the list at {@code parent}. */
    public static String element(String parent) {
        return parent + "[]";
    }

    public static final class Builder {
        private final Map<String, Field> fields = new HashMap<>();

        private Builder() {
        }

        /** Everything {@code other} declares, placed below {@code prefix} ("" for the root). */
        public Builder include(String prefix, PatchSchema other) {
            other.fields.forEach((path, field) -> fields.put(prefix.isEmpty() ? path : prefix + "." + path, field));
            return this;
        }

        /** A list of objects merged element by element, matched by {@code mergeKey}. */
        public Builder mergeList(String path, String mergeKey) {
            fields.put(path, new Field(true, mergeKey, false));
            return this;
        }

        /** A list of objects merged by {@code mergeKey} whose elements also follow retainKeys. */
        public Builder mergeListRetainKeys(String path, String mergeKey) {
            fields.put(path, new Field(true, mergeKey, false));
            fields.put(path + "[]", new Field(false, null, true));
            return this;
        }

        /** A list of scalars merged as a set (union; removals through $deleteFromPrimitiveList). */
        public Builder mergeScalars(String path) {
            fields.put(path, new Field(true, null, false));
            return this;
        }

        /** A map whose keys not listed in a patch's $retainKeys are cleared. */
        public Builder retainKeys(String path) {
            fields.put(path, new Field(false, null, true));
            return this;
        }

        public PatchSchema build() {
            return new PatchSchema(fields);
        }
    }
}
