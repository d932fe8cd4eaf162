package io.kedge.server.policy;

import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay host's own addresses and the networks they are on, read from its interfaces. Relaying
 * to them would let any TURN client reach services that trust the relay's own network. Re-read by
 * {@link #refresh()} (the server calls it periodically) because addresses can change.
 */
public final class OwnAddresses {
    private static final Logger log = LoggerFactory.getLogger(OwnAddresses.class);

    /** The relay's addresses and their networks, as one snapshot. */
    public record Snapshot(List<InetAddress> addresses, List<Cidr> networks) {
        public Snapshot {
            addresses = List.copyOf(addresses);
            networks = List.copyOf(networks);
        }
    }

    private final Supplier<Snapshot> source;
    private volatile Snapshot current;

    public OwnAddresses(Supplier<Snapshot> source) {
        this.source = source;
        this.current = source.get();
    }

    /** This host's interfaces. */
    public static OwnAddresses ofThisHost() {
        return new OwnAddresses(OwnAddresses::readInterfaces);
    }

    public static OwnAddresses fixed(List<InetAddress> addresses, List<Cidr> networks) {
        Snapshot s = new Snapshot(addresses, networks);
        return new OwnAddresses(() -> s);
    }

    public Snapshot current() {
        return current;
    }

    public void refresh() {
        try {
            current = source.get();
        } catch (RuntimeException e) {
            log.warn("cannot re-read this host's addresses, keeping the previous ones: {}", e.toString());
        }
    }

    public boolean isOwnAddress(InetAddress address) {
        return current.addresses.contains(address);
    }

    public Cidr ownNetworkContaining(InetAddress address) {
        for (Cidr c : current.networks) {
            if (c.contains(address)) {
                return c;
            }
        }
        return null;
    }

    static Snapshot readInterfaces() {
        List<InetAddress> addresses = new ArrayList<>();
        List<Cidr> networks = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InterfaceAddress ia : nic.getInterfaceAddresses()) {
                    InetAddress a = ia.getAddress();
                    addresses.add(a);
                    int prefix = ia.getNetworkPrefixLength();
                    if (prefix >= 0 && prefix <= a.getAddress().length * 8) {
                        networks.add(new Cidr(a, prefix));
                    }
                }
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list network interfaces: " + e.getMessage(), e);
        }
        return new Snapshot(addresses, networks);
    }
}
