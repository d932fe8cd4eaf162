package io.kedge.server.net;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The listening UDP sockets by local address, so that a Binding answer can leave from another
 * address or port than the request arrived on (RFC 5780 CHANGE-REQUEST).
 */
final class UdpSockets {
    private final Map<InetSocketAddress, Channel> byAddress = new ConcurrentHashMap<>();

    void add(InetSocketAddress local, Channel channel) {
        byAddress.putIfAbsent(local, channel);
    }

    Channel channelFor(InetSocketAddress local) {
        return byAddress.get(local);
    }
}
