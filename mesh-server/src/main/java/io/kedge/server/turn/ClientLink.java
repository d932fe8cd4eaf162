package io.kedge.server.turn;

import io.kedge.server.stun.IntegrityKey;
import io.kedge.server.stun.StunMessage;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;

/**
 * The way back to one client, over the transport its requests arrived on. The network layer
 * implements it; the TURN logic only hands it messages and data, and the link's encoders put them
 * on the wire (FINGERPRINT, MESSAGE-INTEGRITY, ChannelData headers and padding).
 */
public interface ClientLink {
    FiveTuple fiveTuple();

    /** The thread every allocation on this link lives on. */
    EventExecutor executor();

    /** Sends a response or indication, signed with {@code key} when it is not null. */
    void sendMessage(StunMessage message, IntegrityKey key);

    /**
     * Relays data from {@code peer}: as ChannelData when {@code channel} is not 0, else as a Data
     * indication. Takes ownership of {@code data}. Returns false if the data was dropped because the
     * client is not keeping up (a stream transport's buffer is full).
     */
    boolean sendData(int channel, InetSocketAddress peer, ByteBuf data);

    /** Whether the client can still be reached (a TCP or TLS connection may have closed). */
    boolean isOpen();
}
