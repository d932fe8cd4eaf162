package io.kedge.server.policy;

import io.kedge.common.config.ConfigException;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 network written as {@code address/prefix} (a bare address is a single host). */
public record Cidr(InetAddress network, int prefixLength) {
    public Cidr {
        int bits = network.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " out of range for " + network.getHostAddress());
        }
        network = masked(network, prefixLength);
    }

    /** Parses {@code text}; errors name {@code key} and the value. */
    public static Cidr parse(String key, String text) {
        if (text == null || text.isBlank()) {
            throw new ConfigException(key, text, "expected a network such as 198.51.100.0/24");
        }
        String s = text.strip();
        int slash = s.indexOf('/');
        String address = slash < 0 ? s : s.substring(0, slash);
        // Literal addresses only: a host name here would mean a DNS lookup while parsing configuration.
        if (!address.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") && !(address.contains(":") && address.matches("[0-9A-Fa-f:.]+"))) {
            throw new ConfigException(key, text, "expected a literal IPv4 or IPv6 network such as 198.51.100.0/24");
        }
        InetAddress ip;
        try {
            ip = InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new ConfigException(key, text, "not an IP address");
        }
        int bits = ip.getAddress().length * 8;
        int prefix = bits;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new ConfigException(key, text, "prefix length is not a number");
            }
            if (prefix < 0 || prefix > bits) {
                throw new ConfigException(key, text, "prefix length must be between 0 and " + bits);
            }
        }
        return new Cidr(ip, prefix);
    }

    public static Cidr of(String text) {
        return parse("cidr", text);
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        byte[] n = network.getAddress();
        if (a.length != n.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != n[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xFF << (8 - rest);
        return (a[full] & mask) == (n[full] & mask);
    }

    private static InetAddress masked(InetAddress address, int prefixLength) {
        byte[] b = address.getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, prefixLength - 8 * i));
            b[i] &= (byte) (0xFF << (8 - keep));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefixLength;
    }
}
