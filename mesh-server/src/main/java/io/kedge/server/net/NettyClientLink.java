package io.kedge.server.net;

import io.kedge.server.stun.IntegrityKey;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.turn.ClientLink;
import io.kedge.server.turn.ClientTransport;
import io.kedge.server.turn.FiveTuple;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;

/**
 * A client as seen through a Netty channel: the shared UDP socket its datagrams arrived on (the
 * encoder addresses each datagram to the client), or its own TCP/TLS connection.
 */
final class NettyClientLink implements ClientLink {
    private final Channel channel;
    private final FiveTuple fiveTuple;

    NettyClientLink(Channel channel, FiveTuple fiveTuple) {
        this.channel = channel;
        this.fiveTuple = fiveTuple;
    }

    @Override
    public FiveTuple fiveTuple() {
        return fiveTuple;
    }

    @Override
    public EventExecutor executor() {
        return channel.eventLoop();
    }

    @Override
    public void sendMessage(StunMessage message, IntegrityKey key) {
        send(new Outbound.Message(message, key, fiveTuple.client()));
    }

    /**
     * Over TLS every message is flushed on its own, in a TLS record of its own: batched writes
     * would share records, which is legal, but coturn's turnutils_uclient was seen to lose messages then
     * (the relay counted them all sent).
     */
    private void send(Object msg) {
        if (fiveTuple.transport() == ClientTransport.TLS) {
            channel.writeAndFlush(msg, channel.voidPromise());
        } else {
            WriteBatcher.write(channel, msg);
        }
    }

    @Override
    public boolean sendData(int channelNumber, InetSocketAddress peer, ByteBuf data) {
        // Relayed data is datagrams: when the client cannot take more, drop rather than queue.
        if (!channel.isWritable()) {
            data.release();
            return false;
        }
        send(new Outbound.Data(channelNumber, peer, data, fiveTuple.client()));
        return true;
    }

    @Override
    public boolean isOpen() {
        return channel.isActive();
    }

    Channel channel() {
        return channel;
    }

    @Override
    public String toString() {
        return fiveTuple.toString();
    }
}
