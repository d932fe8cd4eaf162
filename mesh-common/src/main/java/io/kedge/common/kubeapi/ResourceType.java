package io.kedge.common.kubeapi;

import io.kedge.common.kubeapi.patch.PatchSchema;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One served resource in one API version, described the way discovery describes it (group,
 * version, kind, plural, singular, short names, scope, verbs) plus what the server needs to treat
 * its objects right: whether it has a {@code status} subresource, which fields a fieldSelector may
 * name, the columns of {@code kubectl get}, and the merge keys of strategic merge patch (null for
 * resources that, like custom resources in Kubernetes, accept only JSON and merge patches).
 */
public record ResourceType(String group, String version, String kind, String plural, String singular, List<String> shortNames,
                           boolean namespaced, Set<String> verbs, List<String> categories, boolean statusSubresource,
                           Set<String> selectableFields, List<PrinterColumn> columns, PatchSchema patchSchema) {

    public static final Set<String> ALL_VERBS = Set.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

    public ResourceType {
        group = group == null ? "" : group;
        if (version == null || version.isEmpty() || kind == null || kind.isEmpty() || plural == null || plural.isEmpty()) {
            throw new IllegalArgumentException("a resource type needs a version, a kind and a plural");
        }
        if (!plural.equals(plural.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("plural must be lower case: " + plural);
        }
        singular = singular == null || singular.isEmpty() ? kind.toLowerCase(Locale.ROOT) : singular;
        shortNames = shortNames == null ? List.of() : List.copyOf(shortNames);
        verbs = verbs == null ? ALL_VERBS : Set.copyOf(verbs);
        categories = categories == null ? List.of() : List.copyOf(categories);
        selectableFields = selectableFields == null ? Set.of() : Set.copyOf(selectableFields);
        columns = columns == null ? List.of() : List.copyOf(columns);
    }

    /** {@code v1} for the core group, {@code group/version} otherwise. */
    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    public String listKind() {
        return kind + "List";
    }

    public GroupResource groupResource() {
        return new GroupResource(group, plural);
    }

    /** The URL prefix of this type's group-version: {@code /api/v1} or {@code /apis/group/version}. */
    public String basePath() {
        return group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
    }

    public boolean supports(String verb) {
        return verbs.contains(verb);
    }

    /** True when strategic merge patch is accepted (built-in kinds with known merge keys). */
    public boolean strategicMerge() {
        return patchSchema != null;
    }

    /** Whether {@code field} may appear in a fieldSelector: metadata.name and metadata.namespace always may. */
    public boolean selectable(String field) {
        return field.equals("metadata.name") || field.equals("metadata.namespace") || selectableFields.contains(field);
    }

    public static Builder builder(String group, String version, String kind) {
        return new Builder(group, version, kind);
    }

    /** A copy of this type served under another version of the same group (same objects, same rules). */
    public ResourceType withVersion(String otherVersion) {
        return new ResourceType(group, otherVersion, kind, plural, singular, shortNames, namespaced, verbs, categories,
                statusSubresource, selectableFields, columns, patchSchema);
    }

    public static final class Builder {
        private final String group;
        private final String version;
        private final String kind;
        private String plural;
        private String singular;
        private final List<String> shortNames = new ArrayList<>();
        private boolean namespaced = true;
        private Set<String> verbs = ALL_VERBS;
        private final List<String> categories = new ArrayList<>();
        private boolean status;
        private final Set<String> selectable = new LinkedHashSet<>();
        private final List<PrinterColumn> columns = new ArrayList<>();
        private PatchSchema patchSchema;

        private Builder(String group, String version, String kind) {
            this.group = group;
            this.version = version;
            this.kind = kind;
        }

        /** Required: Kubernetes does not guess plurals, and neither do we (see kubeedge#4471). */
        public Builder plural(String value) {
            this.plural = value;
            return this;
        }

        public Builder singular(String value) {
            this.singular = value;
            return this;
        }

        public Builder shortNames(String... values) {
            shortNames.addAll(List.of(values));
            return this;
        }

        public Builder clusterScoped() {
            this.namespaced = false;
            return this;
        }

        public Builder verbs(String... values) {
            this.verbs = Set.of(values);
            return this;
        }

        public Builder categories(String... values) {
            categories.addAll(List.of(values));
            return this;
        }

        public Builder statusSubresource() {
            this.status = true;
            return this;
        }

        public Builder selectableFields(String... fields) {
            selectable.addAll(List.of(fields));
            return this;
        }

        public Builder column(PrinterColumn column) {
            columns.add(column);
            return this;
        }

        public Builder strategicMerge(PatchSchema schema) {
            this.patchSchema = schema;
            return this;
        }

        public ResourceType build() {
            return new ResourceType(group, version, kind, plural, singular, shortNames, namespaced, verbs, categories, status,
                    selectable, columns, patchSchema);
        }
    }
}
