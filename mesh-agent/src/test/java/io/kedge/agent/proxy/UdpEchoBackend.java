package io.kedge.agent.proxy;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** A UDP server on a loopback address that sends every datagram back as it came, prefixed with nothing. */
final class UdpEchoBackend implements AutoCloseable {
    private final DatagramSocket socket;
    final AtomicLong datagrams = new AtomicLong();
    /** Source addresses seen: one per proxy session. */
    final Set<SocketAddress> peers = ConcurrentHashMap.newKeySet();

    UdpEchoBackend(String ip) throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(ip, 0));
        socket.setReceiveBufferSize(4 << 20);
        Thread t = new Thread(this::loop, "udp-echo");
        t.setDaemon(true);
        t.start();
    }

    String ip() {
        return socket.getLocalAddress().getHostAddress();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void loop() {
        byte[] buf = new byte[65535];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
                datagrams.incrementAndGet();
                peers.add(p.getSocketAddress());
                socket.send(new DatagramPacket(p.getData(), p.getOffset(), p.getLength(), p.getSocketAddress()));
            } catch (IOException e) {
                // closed, or a send failed: keep serving until closed
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
