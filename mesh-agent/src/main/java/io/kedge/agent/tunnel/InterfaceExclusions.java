package io.kedge.agent.tunnel;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Network interfaces whose addresses are never offered as ICE host candidates, by name pattern
 * ({@code *} any run of characters, {@code ?} one). A node's container bridges and overlay devices
 * (cni0, docker0, flannel.1, cali*, ...) carry addresses that are private to the node, often the
 * same on every node; offered to a peer they only cost useless checks, and a check sent from one of
 * them leaves the node masqueraded, so the peer learns a peer-reflexive candidate it cannot place.
 */
public final class InterfaceExclusions {
    /**
     * Container, overlay and VM bridges of common CNI plugins and runtimes (not Docker's "br-*"
     * networks: hosts name their uplink bridges that way too).
     */
    public static final List<String> DEFAULT_PATTERNS = List.of("docker*", "cni*", "flannel*", "cali*", "cilium*", "vxlan*",
            "tunl*", "weave*", "kube-*", "veth*", "lxc*", "virbr*", "nodelocaldns");

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_.:@*?-]{1,32}");

    private final List<String> patterns;
    private final List<Pattern> compiled;

    private InterfaceExclusions(List<String> patterns) {
        this.patterns = List.copyOf(patterns);
        this.compiled = this.patterns.stream().map(InterfaceExclusions::toRegex).toList();
    }

    /**
     * Exclusions by the given patterns.
     *
     * @throws IllegalArgumentException naming the first pattern that is not a valid one
     */
    public static InterfaceExclusions of(List<String> patterns) {
        for (String p : patterns) {
            String problem = problem(p);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }
        return new InterfaceExclusions(patterns);
    }

    /** Why {@code pattern} cannot be used, or null when it can. */
    public static String problem(String pattern) {
        if (pattern == null || !VALID.matcher(pattern).matches()) {
            return "an interface name pattern is 1-32 of letters, digits, _ . : @ - and the wildcards * and ?";
        }
        if (pattern.chars().allMatch(c -> c == '*' || c == '?')) {
            return "a pattern that matches every interface would leave ICE without host candidates";
        }
        return null;
    }

    public List<String> patterns() {
        return patterns;
    }

    /** Whether interface {@code name} is excluded. */
    public boolean excludes(String name) {
        for (Pattern p : compiled) {
            if (p.matcher(name).matches()) {
                return true;
            }
        }
        return false;
    }

    /** The excluded ones among {@code names}, in their order. */
    public List<String> matching(Collection<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            if (excludes(n)) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * Whether {@code address} is assigned to an excluded interface now (interfaces come and go: a CNI
     * bridge often appears after the agent started).
     */
    public boolean excludesAddress(InetAddress address) {
        if (compiled.isEmpty()) {
            return false;
        }
        try {
            NetworkInterface iface = NetworkInterface.getByInetAddress(address);
            return iface != null && excludes(iface.getName());
        } catch (SocketException e) {
            return false;
        }
    }

    private static Pattern toRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    @Override
    public String toString() {
        return String.join(",", patterns);
    }
}
