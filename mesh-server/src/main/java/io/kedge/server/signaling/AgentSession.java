package io.kedge.server.signaling;

import io.kedge.common.signaling.SignalCodec;
import io.kedge.common.signaling.SignalMessage;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;

/**
 * One registered agent: its authenticated node name, the connection it registered on, the address
 * the server saw it from, and the addresses it published.
 */
public record AgentSession(String node, Channel channel, InetSocketAddress observed, List<InetAddress> addresses, Instant since) {
    public AgentSession {
        addresses = List.copyOf(addresses);
    }

    /** Every address the relay may send to on this agent's behalf: where it was seen from and what it published. */
    public List<InetAddress> reachableAddresses() {
        if (addresses.contains(observed.getAddress())) {
            return addresses;
        }
        java.util.ArrayList<InetAddress> all = new java.util.ArrayList<>(addresses);
        all.add(observed.getAddress());
        return all;
    }

    /** Queues {@code message} to this agent; false when its connection cannot take more (it is slow or gone). */
    public boolean send(SignalMessage message) {
        if (!channel.isActive()) {
            return false;
        }
        if (!channel.isWritable()) {
            return false;
        }
        channel.writeAndFlush(Unpooled.wrappedBuffer(SignalCodec.encode(message)), channel.voidPromise());
        return true;
    }
}
