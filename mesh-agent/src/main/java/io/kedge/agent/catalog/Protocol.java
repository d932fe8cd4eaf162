package io.kedge.agent.catalog;

/** Transport protocol of a Service port. SCTP ports are known but not proxied. */
public enum Protocol {
    TCP, UDP, SCTP;

    /** Parses Kubernetes' spelling; null means TCP (the API default). */
    public static Protocol parse(String text) {
        return text == null || text.isEmpty() ? TCP : valueOf(text.toUpperCase(java.util.Locale.ROOT));
    }
}
