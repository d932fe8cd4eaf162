package io.kedge.cloud.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceStore;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.store.Admission;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Gives Services their ClusterIP, as the API server does from {@code --service-cluster-ip-range}: a
 * free address of the range when none is asked for; the asked one when it is in the range and free
 * (422 otherwise); {@code None} for headless Services. A ClusterIP never changes once set. Runs under
 * the store's write lock, so two Services cannot get the same address.
 */
public final class ClusterIpAllocator implements Admission {
    private final String cidr;
    private final long network;
    private final long size;

    /** {@code cidr}: an IPv4 range such as 198.18.0.0/16 (/8 to /30). */
    public ClusterIpAllocator(String cidr) {
        String[] parts = cidr.split("/");
        if (parts.length != 2 || !parts[1].matches("\\d{1,2}")) {
            throw new IllegalArgumentException("expected an IPv4 CIDR such as 198.18.0.0/16");
        }
        int prefix = Integer.parseInt(parts[1]);
        if (prefix < 8 || prefix > 30) {
            throw new IllegalArgumentException("the prefix length must be between 8 and 30");
        }
        Long address = parse(parts[0]);
        if (address == null) {
            throw new IllegalArgumentException("\"" + parts[0] + "\" is not an IPv4 address");
        }
        long mask = (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
        if ((address & mask) != address) {
            throw new IllegalArgumentException("host bits are set; the network is " + format(address & mask) + "/" + prefix);
        }
        this.cidr = cidr;
        this.network = address;
        this.size = 1L << (32 - prefix);
    }

    @Override
    public void admit(ResourceType type, ObjectNode object, ObjectNode stored, ResourceStore store) {
        if (!type.groupResource().equals(BuiltinTypes.SERVICES.groupResource())) {
            return;
        }
        ObjectNode spec = object.get("spec") instanceof ObjectNode s ? s : object.putObject("spec");
        if ("ExternalName".equals(spec.path("type").asText())) {
            return;
        }
        String asked = spec.path("clusterIP").asText("");
        if (stored != null) {
            String current = stored.path("spec").path("clusterIP").asText("");
            if (asked.isEmpty() && !current.isEmpty()) {
                set(spec, current);
            } else if (!current.isEmpty() && !asked.equals(current)) {
                throw invalid(object, "spec.clusterIP", asked, "field is immutable");
            }
            return;
        }
        if (asked.equals("None")) {
            set(spec, "None");
            return;
        }
        Set<Long> used = used(store);
        if (!asked.isEmpty()) {
            Long ip = parse(asked);
            if (ip == null || ip <= network || ip >= network + size - 1) {
                throw invalid(object, "spec.clusterIP", asked, "provided IP is not in the valid range. The range of valid IPs is " + cidr);
            }
            if (used.contains(ip)) {
                throw invalid(object, "spec.clusterIP", asked, "provided IP is already allocated");
            }
            set(spec, asked);
            return;
        }
        // A random start, then the next free address: spreads allocations and avoids handing a
        // just-released address straight to the next Service.
        long usable = size - 2;
        long start = ThreadLocalRandom.current().nextLong(usable);
        for (long i = 0; i < usable; i++) {
            long candidate = network + 1 + (start + i) % usable;
            if (!used.contains(candidate)) {
                set(spec, format(candidate));
                return;
            }
        }
        throw new ApiException(500, "InternalError", "Internal error occurred: failed to allocate a serviceIP: range " + cidr + " is full");
    }

    private static Set<Long> used(ResourceStore store) {
        Set<Long> used = new HashSet<>();
        for (ObjectNode svc : store.list(BuiltinTypes.SERVICES, null).items()) {
            Long ip = parse(svc.path("spec").path("clusterIP").asText(""));
            if (ip != null) {
                used.add(ip);
            }
        }
        return used;
    }

    private static void set(ObjectNode spec, String ip) {
        spec.put("clusterIP", ip);
        spec.putArray("clusterIPs").add(ip);
        if (!ip.equals("None")) {
            spec.putArray("ipFamilies").add("IPv4");
            spec.put("ipFamilyPolicy", "SingleStack");
        }
    }

    private static ApiException invalid(JsonNode object, String field, String value, String why) {
        return ApiException.invalid("", "Service", String.valueOf(KubeObjects.name(object)),
                List.of(new ApiException.Cause("FieldValueInvalid", "Invalid value: \"" + value + "\": " + why, field)));
    }

    static Long parse(String text) {
        String[] octets = text.split("\\.", -1);
        if (octets.length != 4) {
            return null;
        }
        long v = 0;
        for (String o : octets) {
            if (!o.matches("\\d{1,3}") || Integer.parseInt(o) > 255) {
                return null;
            }
            v = (v << 8) | Integer.parseInt(o);
        }
        return v;
    }

    static String format(long ip) {
        return ((ip >> 24) & 255) + "." + ((ip >> 16) & 255) + "." + ((ip >> 8) & 255) + "." + (ip & 255);
    }
}
