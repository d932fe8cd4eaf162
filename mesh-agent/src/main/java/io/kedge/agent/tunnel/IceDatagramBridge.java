package io.kedge.agent.tunnel;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins ice4j's socket for the selected pair to the QUIC codec's Netty datagram channel through a
 * loopback socket: one thread carries what ICE receives to the codec, another what the codec sends
 * to the peer over ICE. ice4j's sockets are blocking java.net sockets that also carry its own STUN
 * (consent, keepalives) and TURN framing, so this is the narrowest place to meet Netty. It costs
 * one loopback hop each way (measured in bench/tunnel).
 */
final class IceDatagramBridge implements DatagramPath {
    private static final Logger log = LoggerFactory.getLogger(IceDatagramBridge.class);
    private static final int MAX_DATAGRAM = 65535;

    private final DatagramSocket ice;
    private final SocketAddress remote;
    private final DatagramSocket loopback;
    private volatile SocketAddress codec;
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private volatile boolean closed;
    private final Thread inbound;
    private final Thread outbound;

    IceDatagramBridge(DatagramSocket ice, SocketAddress remote, String peer) throws IOException {
        this.ice = ice;
        this.remote = remote;
        this.loopback = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        inbound = new Thread(this::carryInbound, "tunnel-in-" + peer);
        outbound = new Thread(this::carryOutbound, "tunnel-out-" + peer);
        inbound.setDaemon(true);
        outbound.setDaemon(true);
    }

    @Override
    public InetSocketAddress address() {
        return (InetSocketAddress) loopback.getLocalSocketAddress();
    }

    @Override
    public void start(SocketAddress codecAddress) {
        this.codec = codecAddress;
        inbound.start();
        outbound.start();
    }

    private void carryInbound() {
        byte[] buf = new byte[MAX_DATAGRAM];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (!closed) {
            try {
                p.setData(buf);
                ice.receive(p);
                bytesIn.addAndGet(p.getLength());
                p.setSocketAddress(codec);
                loopback.send(p);
            } catch (IOException e) {
                if (!closed) {
                    log.debug("ICE socket ended: {}", e.toString());
                }
                return;
            }
        }
    }

    private void carryOutbound() {
        byte[] buf = new byte[MAX_DATAGRAM];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (!closed) {
            try {
                p.setData(buf);
                loopback.receive(p);
                if (!p.getSocketAddress().equals(codec)) {
                    continue; // only the codec may send to the peer through us
                }
                bytesOut.addAndGet(p.getLength());
                p.setSocketAddress(remote);
                ice.send(p);
            } catch (IOException e) {
                if (!closed) {
                    log.debug("tunnel send failed: {}", e.toString());
                    if (loopback.isClosed()) {
                        return;
                    }
                }
            }
        }
    }

    @Override
    public long bytesIn() {
        return bytesIn.get();
    }

    @Override
    public long bytesOut() {
        return bytesOut.get();
    }

    @Override
    public void close() {
        closed = true;
        loopback.close();
    }
}
