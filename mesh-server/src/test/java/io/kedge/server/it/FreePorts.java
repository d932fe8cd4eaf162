package io.kedge.server.it;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Ports that are free for UDP and TCP on several loopback addresses at once (RFC 5780 needs the same port on two). */
final class FreePorts {
    private FreePorts() {
    }

    static int udpAndTcp(String... addresses) throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(addresses[0]), 0))) {
                port = probe.getLocalPort();
            }
            if (freeEverywhere(port, addresses)) {
                return port;
            }
        }
        throw new IOException("no port free on all of " + String.join(", ", addresses));
    }

    private static boolean freeEverywhere(int port, String... addresses) {
        for (String a : addresses) {
            try (DatagramSocket u = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(a), port));
                 ServerSocket t = new ServerSocket(port, 1, InetAddress.getByName(a))) {
                u.getLocalPort();
                t.getLocalPort();
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
