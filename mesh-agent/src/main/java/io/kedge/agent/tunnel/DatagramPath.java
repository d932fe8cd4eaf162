package io.kedge.agent.tunnel;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The datagram path a tunnel's QUIC connection runs over, seen from the QUIC codec: a loopback
 * address the codec's channel sends to, which carries each datagram to the peer and the peer's
 * datagrams back to the codec. ICE's selected pair is one ({@link IceDatagramBridge}), a TURN
 * allocation reached over TCP or TLS another ({@link TurnDatagramPath}).
 */
interface DatagramPath extends AutoCloseable {
    /** Where the codec's channel sends to reach the peer. */
    InetSocketAddress address();

    /** Starts carrying, to and from the codec's channel at {@code codecAddress}. */
    void start(SocketAddress codecAddress);

    long bytesIn();

    long bytesOut();

    @Override
    void close();
}
