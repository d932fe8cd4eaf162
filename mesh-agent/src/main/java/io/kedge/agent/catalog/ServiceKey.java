package io.kedge.agent.catalog;

import java.util.Comparator;

/** A Service's identity: namespace and name. */
public record ServiceKey(String namespace, String name) implements Comparable<ServiceKey> {
    private static final Comparator<ServiceKey> ORDER = Comparator.comparing(ServiceKey::namespace).thenComparing(ServiceKey::name);

    public static ServiceKey of(String namespace, String name) {
        return new ServiceKey(namespace, name);
    }

    /** Parses {@code namespace/name}. */
    public static ServiceKey parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("expected namespace/name, got " + text);
        }
        return new ServiceKey(text.substring(0, slash), text.substring(slash + 1));
    }

    @Override
    public int compareTo(ServiceKey o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
