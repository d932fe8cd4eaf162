package io.kedge.topo.spec;

import io.kedge.common.config.ConfigException;
import java.util.List;

/** IPv4 addresses and prefixes as plain ints: all the arithmetic address planning needs. */
public final class Ipv4 {
    /**
     * The only ranges a topology may use (../shared/reference/test-network.md): documentation,
     * benchmarking and carrier-grade NAT space. Never private or public ranges.
     */
    public static final List<Cidr> ALLOWED = List.of(
            Cidr.parse("allowed", "192.0.2.0/24"),
            Cidr.parse("allowed", "198.51.100.0/24"),
            Cidr.parse("allowed", "203.0.113.0/24"),
            Cidr.parse("allowed", "198.18.0.0/15"),
            Cidr.parse("allowed", "100.64.0.0/10"));

    private Ipv4() {
    }

    public static int parse(String key, String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new ConfigException(key, text, "is not an IPv4 address");
        }
        int value = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                throw new ConfigException(key, text, "is not an IPv4 address");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new ConfigException(key, text, "is not an IPv4 address");
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    public static String format(int address) {
        return ((address >>> 24) & 255) + "." + ((address >>> 16) & 255) + "." + ((address >>> 8) & 255) + "." + (address & 255);
    }

    /** Whether the whole of {@code cidr} lies inside one of the {@link #ALLOWED} ranges. */
    public static boolean allowed(Cidr cidr) {
        return ALLOWED.stream().anyMatch(a -> a.contains(cidr));
    }

    /** An IPv4 prefix such as 100.64.1.0/24. */
    public record Cidr(int network, int prefixLength) {
        public static Cidr parse(String key, String text) {
            int slash = text.indexOf('/');
            if (slash < 0) {
                throw new ConfigException(key, text, "is not a prefix like 100.64.1.0/24");
            }
            int address = Ipv4.parse(key, text.substring(0, slash));
            String len = text.substring(slash + 1);
            if (len.isEmpty() || len.length() > 2 || !len.chars().allMatch(Character::isDigit)) {
                throw new ConfigException(key, text, "is not a prefix like 100.64.1.0/24");
            }
            int prefix = Integer.parseInt(len);
            if (prefix > 32) {
                throw new ConfigException(key, text, "prefix length must be at most 32");
            }
            Cidr cidr = new Cidr(address & mask(prefix), prefix);
            if (cidr.network != address) {
                throw new ConfigException(key, text, "has host bits set; did you mean " + cidr + "?");
            }
            return cidr;
        }

        static int mask(int prefixLength) {
            return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        }

        public boolean contains(int address) {
            return (address & mask(prefixLength)) == network;
        }

        public boolean contains(Cidr other) {
            return other.prefixLength >= prefixLength && contains(other.network);
        }

        public boolean overlaps(Cidr other) {
            return contains(other.network) || other.contains(network);
        }

        /** The n-th address of the prefix (0 is the network address). */
        public int host(int n) {
            return network + n;
        }

        public long size() {
            return 1L << (32 - prefixLength);
        }

        @Override
        public String toString() {
            return format(network) + "/" + prefixLength;
        }
    }
}
