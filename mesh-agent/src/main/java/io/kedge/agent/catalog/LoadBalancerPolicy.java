package io.kedge.agent.catalog;

import java.time.Duration;

/**
 * How a Service's connections (or, for HTTP ports, requests) are spread over its endpoints.
 *
 * @param kind    the algorithm
 * @param hashKey for {@link Kind#CONSISTENT_HASH}: what is hashed; null otherwise
 * @param origin  where the policy came from, for people: {@code default}, {@code annotation},
 *                or {@code destinationrule/<ns>/<name>}
 */
public record LoadBalancerPolicy(Kind kind, HashKey hashKey, String origin) {
    public enum Kind { ROUND_ROBIN, RANDOM, LEAST_REQUEST, CONSISTENT_HASH }

    /**
     * What a consistent hash is computed over.
     *
     * @param source    header, cookie or the client's source IP
     * @param name      header or cookie name (null for SOURCE_IP)
     * @param cookieTtl for COOKIE: when set, the proxy issues the cookie if the client has none
     */
    public record HashKey(Source source, String name, Duration cookieTtl) {
        public enum Source { HEADER, COOKIE, SOURCE_IP }

        public static HashKey sourceIp() {
            return new HashKey(Source.SOURCE_IP, null, null);
        }

        public static HashKey header(String name) {
            return new HashKey(Source.HEADER, name, null);
        }

        public static HashKey cookie(String name, Duration ttl) {
            return new HashKey(Source.COOKIE, name, ttl);
        }
    }

    public static final LoadBalancerPolicy DEFAULT = new LoadBalancerPolicy(Kind.ROUND_ROBIN, null, "default");

    public LoadBalancerPolicy {
        if ((kind == Kind.CONSISTENT_HASH) != (hashKey != null)) {
            throw new IllegalArgumentException("a hash key goes with CONSISTENT_HASH and only with it");
        }
    }
}
