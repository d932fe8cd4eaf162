package io.kedge.agent.tunnel;

import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import org.ice4j.socket.DelegatingDatagramSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ice4j reads its settings (Typesafe config through jitsi-metaconfig) once, from system properties
 * over its reference.conf. These must be in place before ice4j's classes load: no cloud-metadata
 * (AWS) harvester (STUN mapping harvesters and static mappings are empty by default; the only STUN
 * and TURN servers are the mesh-servers we add ourselves), no link-local addresses (the mesh bridge 169.254.96.16 is one) and no IPv6 host
 * candidates; the mesh bridge device is blocked by name as well, and so are the interfaces present
 * now whose names match the configured exclusions (ice4j takes exact names and reads them once:
 * interfaces that appear later are left out of what {@link IceSession#candidates()} signals instead).
 */
final class IceDefaults {
    private static final Logger log = LoggerFactory.getLogger(IceDefaults.class);
    private static boolean applied;

    /**
     * Receive buffer of ICE's host sockets (the kernel caps it at net.core.rmem_max). They receive
     * everything from the network, the tunnel's datagrams and ICE's own consent checks and keepalives
     * alike: with the default (about 208 KiB, some 90 full datagrams at the kernel's per-packet
     * accounting) a QUIC burst overflowed them whenever the bridge's inbound thread was briefly off the
     * CPU (about 100 drops per 10 s QUIC round in bench/tunnel; none with this). Set through ice4j's
     * default for the sockets it creates, so it is in place before any receive starts (ice4j defers a
     * change made while a thread is in receive until a datagram arrives). The loopback hops between
     * {@link IceDatagramBridge}'s threads and the QUIC codec keep the default on purpose: a deep queue
     * in front of a busy thread only adds delay (with 8 MiB one held 7 MB, about a second, on the
     * relayed path), and their drops are what slows QUIC's sender down.
     */
    static final int HOST_SOCKET_BUFFER = 4 * 1024 * 1024;

    private IceDefaults() {
    }

    static synchronized void apply(String meshBridgeDevice, InterfaceExclusions exclusions) {
        if (applied) {
            return;
        }
        List<String> blocked = new ArrayList<>();
        blocked.add(meshBridgeDevice);
        blocked.addAll(exclusions.matching(interfaceNames()));
        set("ice4j.harvest.mapping.aws.enabled", "false");
        set("ice4j.harvest.mapping.aws.force", "false");
        set("ice4j.harvest.use-link-local-addresses", "false");
        set("ice4j.harvest.use-ipv6", "false");
        set("ice4j.harvest.timeout", "5 seconds");
        for (int i = 0; i < blocked.size(); i++) {
            set("ice4j.harvest.blocked-interfaces." + i, blocked.get(i));
        }
        if (blocked.size() > 1) {
            log.info("ICE host candidates leave out interfaces {}", blocked);
        }
        set("ice4j.software", "");
        com.typesafe.config.ConfigFactory.invalidateCaches();
        DelegatingDatagramSocket.setDefaultReceiveBufferSize(HOST_SOCKET_BUFFER);
        applied = true;
    }

    private static List<String> interfaceNames() {
        try {
            return NetworkInterface.networkInterfaces().map(NetworkInterface::getName).toList();
        } catch (SocketException e) {
            log.warn("cannot list network interfaces: {}", e.toString());
            return List.of();
        }
    }

    private static void set(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
