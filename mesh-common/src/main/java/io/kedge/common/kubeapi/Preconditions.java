package io.kedge.common.kubeapi;

/** DeleteOptions.preconditions: the delete fails with 409 unless the stored object has this uid / resourceVersion. */
public record Preconditions(String uid, String resourceVersion) {
    public static final Preconditions NONE = new Preconditions(null, null);
}
