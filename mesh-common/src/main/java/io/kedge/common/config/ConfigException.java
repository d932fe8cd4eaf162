package io.kedge.common.config;

/**
 * A configuration value is missing, malformed or out of range. The message always names the key
 * (as a path such as {@code sites[1].nat}) and, where there is one, the offending value.
 */
public class ConfigException extends RuntimeException {
    private final String key;
    private final String value;
    private final String problem;
    private final String source;

    public ConfigException(String key, Object value, String problem) {
        this(null, key, value, problem);
    }

    private ConfigException(String source, String key, Object value, String problem) {
        super((source == null ? "" : source + ": ") + format(key, value, problem));
        this.source = source;
        this.key = key;
        this.value = value == null ? null : String.valueOf(value);
        this.problem = problem;
    }

    /** The same problem, attributed to a file (or other source) named first in the message. */
    public ConfigException in(String source) {
        return new ConfigException(source, key, value, problem);
    }

    /** Where the configuration came from, or null. */
    public String source() {
        return source;
    }

    /** The dotted path of the offending key, e.g. {@code modules.edgeDNS.listenPort}. */
    public String key() {
        return key;
    }

    /** The offending value as written, or null when the key was missing. */
    public String value() {
        return value;
    }

    public String problem() {
        return problem;
    }

    /** The same problem, with the key placed under {@code parent}. */
    public ConfigException under(String parent) {
        if (parent == null || parent.isEmpty()) {
            return this;
        }
        String joined = key == null || key.isEmpty() ? parent
                : key.startsWith("[") ? parent + key : parent + "." + key;
        return new ConfigException(source, joined, value, problem);
    }

    private static String format(String key, Object value, String problem) {
        StringBuilder sb = new StringBuilder();
        if (key != null && !key.isEmpty()) {
            sb.append(key).append(": ");
        }
        sb.append(problem);
        if (value != null) {
            sb.append(" (got \"").append(value).append("\")");
        }
        return sb.toString();
    }

    /** Throws a {@link ConfigException} for {@code key} unless {@code condition} holds. */
    public static void require(boolean condition, String key, Object value, String problem) {
        if (!condition) {
            throw new ConfigException(key, value, problem);
        }
    }
}
