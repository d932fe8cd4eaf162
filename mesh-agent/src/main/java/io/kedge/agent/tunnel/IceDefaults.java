package io.kedge.agent.tunnel;

/**
 * ice4j reads its settings (Typesafe config through jitsi-metaconfig) once, from system properties
 * over its reference.conf. These must be in place before ice4j's classes load: no cloud-metadata
 * (AWS) harvester (STUN mapping harvesters and static mappings are empty by default; the only STUN
 * and TURN servers are the mesh-servers we add ourselves), no link-local addresses (the mesh bridge 169.254.96.16 is one) and no IPv6 host
 * candidates; the mesh bridge device is blocked by name as well.
 */
final class IceDefaults {
    private static boolean applied;

    private IceDefaults() {
    }

    static synchronized void apply(String meshBridgeDevice) {
        if (applied) {
            return;
        }
        set("ice4j.harvest.mapping.aws.enabled", "false");
        set("ice4j.harvest.mapping.aws.force", "false");
        set("ice4j.harvest.use-link-local-addresses", "false");
        set("ice4j.harvest.use-ipv6", "false");
        set("ice4j.harvest.timeout", "5 seconds");
        set("ice4j.harvest.blocked-interfaces.0", meshBridgeDevice);
        set("ice4j.software", "");
        com.typesafe.config.ConfigFactory.invalidateCaches();
        applied = true;
    }

    private static void set(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
