package io.kedge.agent.tunnel;

import io.kedge.agent.catalog.Protocol;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;

/**
 * Carries proxied traffic to the agent on another node, which dials the endpoint on its own node.
 * The cross-NAT tunnel (ICE with relay fallback, encrypted multiplexed streams) implements it; until
 * it exists the proxy dials every endpoint directly ({@link #NONE}).
 */
public interface Tunnel {
    /** Whether traffic for endpoints on {@code nodeName} should go through this tunnel. */
    boolean serves(String nodeName);

    /**
     * Opens one stream to {@code target} on {@code nodeName}. The future completes with an active
     * channel: for TCP its messages are the connection's bytes (ByteBuf) in order; for UDP each
     * inbound and outbound ByteBuf is exactly one datagram. Closing the channel closes the stream;
     * the remote side closing its connection closes the channel (with half-close where supported).
     *
     * @param loop the event loop the caller runs on; the returned channel's handlers may run elsewhere
     */
    Future<Channel> open(String nodeName, InetSocketAddress target, Protocol protocol, EventLoop loop);

    /** A tunnel that serves no node: everything is dialed directly. */
    Tunnel NONE = new Tunnel() {
        @Override
        public boolean serves(String nodeName) {
            return false;
        }

        @Override
        public Future<Channel> open(String nodeName, InetSocketAddress target, Protocol protocol, EventLoop loop) {
            return loop.newFailedFuture(new UnsupportedOperationException("no tunnel configured"));
        }
    };
}
