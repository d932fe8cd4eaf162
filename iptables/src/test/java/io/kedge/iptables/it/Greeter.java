package io.kedge.iptables.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Run inside a test host: listens on ADDRESS:PORT and answers every TCP connection with
 * {@code hello <client address>}, then closes it. Exits by itself after LIFETIME_SECONDS.
 */
public final class Greeter {
    static final int LIFETIME_SECONDS = 900;

    private Greeter() {
    }

    public static void main(String[] args) throws IOException {
        long deadline = System.nanoTime() + LIFETIME_SECONDS * 1_000_000_000L;
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getByName(args[0]), Integer.parseInt(args[1])));
            server.setSoTimeout(1000);
            System.out.println("READY " + server.getLocalSocketAddress());
            System.out.flush();
            while (System.nanoTime() < deadline) {
                try (Socket s = server.accept()) {
                    InetSocketAddress peer = (InetSocketAddress) s.getRemoteSocketAddress();
                    System.out.println("connection from " + peer.getAddress().getHostAddress());
                    System.out.flush();
                    s.getOutputStream().write(("hello " + peer.getAddress().getHostAddress() + "\n").getBytes(StandardCharsets.US_ASCII));
                } catch (SocketTimeoutException e) {
                    // Check the deadline once a second.
                }
            }
        }
    }
}
