package io.kedge.common.kubeapi.patch;

import java.util.Locale;

/** The PATCH flavours of the Kubernetes API, told apart by the request's Content-Type. */
public enum PatchType {
    /** RFC 6902: a list of operations. */
    JSON("application/json-patch+json"),
    /** RFC 7386: a partial object; null deletes. */
    MERGE("application/merge-patch+json"),
    /** Kubernetes' merge patch that merges lists by key (built-in kinds only). */
    STRATEGIC("application/strategic-merge-patch+json"),
    /** Server-side apply: the caller's full intent for the object (created when absent). */
    APPLY("application/apply-patch+yaml");

    private final String contentType;

    PatchType(String contentType) {
        this.contentType = contentType;
    }

    public String contentType() {
        return contentType;
    }

    /** The patch type of a Content-Type header (parameters ignored), or null. */
    public static PatchType fromContentType(String header) {
        if (header == null) {
            return null;
        }
        String bare = header.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        for (PatchType t : values()) {
            if (t.contentType.equals(bare)) {
                return t;
            }
        }
        return null;
    }
}
