package io.kedge.common.kubeapi;

/**
 * How a write is done: {@code dryRun} validates and answers without storing (?dryRun=All);
 * {@code status} addresses the status subresource, so only {@code status} changes.
 */
public record WriteOptions(boolean dryRun, boolean status) {
    public static final WriteOptions DEFAULT = new WriteOptions(false, false);
    public static final WriteOptions STATUS = new WriteOptions(false, true);
}
