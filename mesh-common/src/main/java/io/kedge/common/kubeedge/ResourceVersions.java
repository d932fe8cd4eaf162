package io.kedge.common.kubeedge;

/**
 * resourceVersions as KubeEdge compares them: unsigned 64-bit integers. A missing or non-numeric
 * version is "unknown"; messages that carry one are dropped unless they are deletes.
 */
public final class ResourceVersions {
    private ResourceVersions() {
    }

    /** Parses a version; -1 (as an unsigned value, the largest) is never returned for valid input. */
    public static boolean valid(String version) {
        if (version == null || version.isEmpty() || version.length() > 20) {
            return false;
        }
        try {
            Long.parseUnsignedLong(version);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Compares two valid versions as unsigned 64-bit integers. */
    public static int compare(String a, String b) {
        return Long.compareUnsigned(Long.parseUnsignedLong(a), Long.parseUnsignedLong(b));
    }

    /** Whether {@code candidate} is strictly newer than {@code known} (any valid version is newer than null). */
    public static boolean newer(String candidate, String known) {
        if (!valid(candidate)) {
            return false;
        }
        return !valid(known) || compare(candidate, known) > 0;
    }
}
