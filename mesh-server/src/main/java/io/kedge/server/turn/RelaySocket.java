package io.kedge.server.turn;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/** An allocation's relayed transport address: a UDP socket on the relay facing the peers. */
public interface RelaySocket {
    /** Where the socket is bound (the relayed port is this port). */
    InetSocketAddress localAddress();

    /** Sends {@code data} to {@code peer}; takes ownership of {@code data}. */
    void send(InetSocketAddress peer, ByteBuf data);

    /** From now on, datagrams received are handed to {@code sink} (before this they are dropped). */
    void receiveInto(PeerDataSink sink);

    void close();

    /** Receives datagrams from peers; owns the buffer it is given. Called on the socket's thread. */
    @FunctionalInterface
    interface PeerDataSink {
        void onPeerData(InetSocketAddress peer, ByteBuf data);
    }
}
