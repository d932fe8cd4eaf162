package io.kedge.agent.tunnel;

import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
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
