package io.kedge.agent.discovery;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.kedge.agent.catalog.LoadBalancerPolicy;
import io.kedge.agent.catalog.LoadBalancerPolicy.HashKey;
import io.kedge.agent.catalog.LoadBalancerPolicy.Kind;
import io.kedge.agent.catalog.ServiceKey;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works out each Service's load-balancing policy. Precedence: an Istio DestinationRule's
 * {@code trafficPolicy.loadBalancer} for the Service's host, else the Service's annotations, else
 * ROUND_ROBIN. (Kubernetes {@code sessionAffinity: ClientIP} is kept separately and wins over all of
 * these in the proxy, as in EdgeMesh.) Unusable values are logged and ignored, never fatal.
 *
 * <p>Annotations: {@code kedge.io/lb-policy: ROUND_ROBIN|RANDOM|LEAST_REQUEST|CONSISTENT_HASH} and,
 * for CONSISTENT_HASH, {@code kedge.io/lb-hash: header:<name> | cookie:<name>[;ttl=<duration>] | source-ip}.
 */
public final class PolicyResolver {
    private static final Logger log = LoggerFactory.getLogger(PolicyResolver.class);
    public static final String POLICY_ANNOTATION = "kedge.io/lb-policy";
    public static final String HASH_ANNOTATION = "kedge.io/lb-hash";

    private final String zone;

    public PolicyResolver(String zone) {
        this.zone = zone;
    }

    /** Policies from DestinationRules, by the Service they apply to. The oldest rule for a host wins. */
    public Map<ServiceKey, LoadBalancerPolicy> fromDestinationRules(List<GenericKubernetesResource> rules) {
        Map<ServiceKey, LoadBalancerPolicy> result = new HashMap<>();
        rules.stream()
                .sorted(Comparator.comparing((GenericKubernetesResource r) -> String.valueOf(r.getMetadata().getCreationTimestamp()))
                        .thenComparing(r -> r.getMetadata().getNamespace() + "/" + r.getMetadata().getName()))
                .forEach(rule -> {
                    String origin = "destinationrule/" + rule.getMetadata().getNamespace() + "/" + rule.getMetadata().getName();
                    Optional<ServiceKey> target = hostToService(rule.get("spec", "host"), rule.getMetadata().getNamespace());
                    if (target.isEmpty()) {
                        log.debug("{}: host {} is not a service of this cluster", origin, (Object) rule.get("spec", "host"));
                        return;
                    }
                    Object lb = rule.get("spec", "trafficPolicy", "loadBalancer");
                    if (!(lb instanceof Map<?, ?> loadBalancer)) {
                        return;
                    }
                    parseLoadBalancer(loadBalancer, origin).ifPresent(p -> result.putIfAbsent(target.get(), p));
                });
        return result;
    }

    /** A policy from a Service's annotations, if it has usable ones. */
    public Optional<LoadBalancerPolicy> fromAnnotations(ServiceKey key, Map<String, String> annotations) {
        if (annotations == null) {
            return Optional.empty();
        }
        String policy = annotations.get(POLICY_ANNOTATION);
        if (policy == null) {
            return Optional.empty();
        }
        String origin = "annotation";
        Kind kind;
        try {
            kind = Kind.valueOf(policy.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            log.warn("service {}: ignoring {}={} (expected ROUND_ROBIN, RANDOM, LEAST_REQUEST or CONSISTENT_HASH)",
                    key, POLICY_ANNOTATION, policy);
            return Optional.empty();
        }
        if (kind != Kind.CONSISTENT_HASH) {
            return Optional.of(new LoadBalancerPolicy(kind, null, origin));
        }
        HashKey hash = parseHashAnnotation(annotations.get(HASH_ANNOTATION));
        if (hash == null) {
            log.warn("service {}: {}=CONSISTENT_HASH needs {} (header:NAME, cookie:NAME[;ttl=DURATION] or source-ip); got {}",
                    key, POLICY_ANNOTATION, HASH_ANNOTATION, annotations.get(HASH_ANNOTATION));
            return Optional.empty();
        }
        return Optional.of(new LoadBalancerPolicy(Kind.CONSISTENT_HASH, hash, origin));
    }

    static HashKey parseHashAnnotation(String text) {
        if (text == null) {
            return null;
        }
        String t = text.strip();
        if (t.equalsIgnoreCase("source-ip")) {
            return HashKey.sourceIp();
        }
        if (t.regionMatches(true, 0, "header:", 0, 7) && t.length() > 7) {
            return HashKey.header(t.substring(7).strip());
        }
        if (t.regionMatches(true, 0, "cookie:", 0, 7) && t.length() > 7) {
            String[] parts = t.substring(7).split(";");
            Duration ttl = null;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].strip();
                if (p.startsWith("ttl=")) {
                    ttl = parseDuration(p.substring(4));
                    if (ttl == null) {
                        return null;
                    }
                }
            }
            return parts[0].isBlank() ? null : HashKey.cookie(parts[0].strip(), ttl);
        }
        return null;
    }

    private Optional<LoadBalancerPolicy> parseLoadBalancer(Map<?, ?> lb, String origin) {
        Object simple = lb.get("simple");
        if (simple != null) {
            Kind kind = switch (String.valueOf(simple).toUpperCase(Locale.ROOT)) {
                case "ROUND_ROBIN", "UNSPECIFIED" -> Kind.ROUND_ROBIN;
                case "RANDOM" -> Kind.RANDOM;
                case "LEAST_REQUEST", "LEAST_CONN" -> Kind.LEAST_REQUEST;
                default -> null;
            };
            if (kind == null) {
                log.warn("{}: ignoring loadBalancer.simple={} (expected ROUND_ROBIN, RANDOM, LEAST_REQUEST or LEAST_CONN)", origin, simple);
                return Optional.empty();
            }
            return Optional.of(new LoadBalancerPolicy(kind, null, origin));
        }
        if (lb.get("consistentHash") instanceof Map<?, ?> ch) {
            HashKey key = null;
            if (ch.get("httpHeaderName") instanceof String header && !header.isBlank()) {
                key = HashKey.header(header);
            } else if (ch.get("httpCookie") instanceof Map<?, ?> cookie && cookie.get("name") instanceof String name) {
                Duration ttl = cookie.get("ttl") == null ? null : parseDuration(String.valueOf(cookie.get("ttl")));
                key = HashKey.cookie(name, ttl == null || ttl.isZero() ? null : ttl);
            } else if (Boolean.TRUE.equals(ch.get("useSourceIp")) || "true".equals(String.valueOf(ch.get("useSourceIp")))) {
                key = HashKey.sourceIp();
            }
            if (key == null) {
                log.warn("{}: consistentHash needs httpHeaderName, httpCookie.name or useSourceIp; ignoring it", origin);
                return Optional.empty();
            }
            return Optional.of(new LoadBalancerPolicy(Kind.CONSISTENT_HASH, key, origin));
        }
        return Optional.empty();
    }

    /**
     * Maps a DestinationRule host to a Service: {@code name} (in the rule's namespace),
     * {@code name.ns}, {@code name.ns.svc} or {@code name.ns.svc.<zone>}. Wildcards are not supported.
     */
    Optional<ServiceKey> hostToService(Object hostValue, String ruleNamespace) {
        if (!(hostValue instanceof String host) || host.isBlank() || host.contains("*")) {
            return Optional.empty();
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        String suffix = ".svc." + zone;
        if (h.endsWith(suffix)) {
            h = h.substring(0, h.length() - suffix.length());
        } else if (h.endsWith(".svc")) {
            h = h.substring(0, h.length() - 4);
        }
        String[] parts = h.split("\\.");
        if (parts.length == 1) {
            return Optional.of(ServiceKey.of(ruleNamespace, parts[0]));
        }
        if (parts.length == 2) {
            return Optional.of(ServiceKey.of(parts[1], parts[0]));
        }
        return Optional.empty();
    }

    private static final java.util.regex.Pattern DURATION_PART = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s|m|h)");

    /** Go-style durations as Istio writes them: "30s", "1h", "1.5h", "100ms", "2m30s". Null if unparsable. */
    static Duration parseDuration(String text) {
        String t = text.strip();
        java.util.regex.Matcher m = DURATION_PART.matcher(t);
        int at = 0;
        double nanos = 0;
        while (at < t.length() && m.find(at) && m.start() == at) {
            double value = Double.parseDouble(m.group(1));
            nanos += value * switch (m.group(2)) {
                case "ns" -> 1d;
                case "us" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            at = m.end();
        }
        return at == t.length() && at > 0 ? Duration.ofNanos((long) nanos) : null;
    }
}
