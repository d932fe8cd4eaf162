package io.kedge.server.turn;

import java.net.InetAddress;
import java.time.Duration;

/**
 * TURN parameters: lifetimes (RFC 8656 defaults: allocations 600 s up to 3600 s, permissions 300 s,
 * channels 600 s), per-allocation bounds, and the address relayed transport addresses are
 * advertised with (the public address when the relay sits behind a 1:1 NAT).
 */
public record TurnSettings(Duration defaultLifetime, Duration maxLifetime, Duration permissionLifetime,
                           Duration channelLifetime, int maxPermissionsPerAllocation, int maxChannelsPerAllocation,
                           InetAddress advertisedAddress, String software) {
}
