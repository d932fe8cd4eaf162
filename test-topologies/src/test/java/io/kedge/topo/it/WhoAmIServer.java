package io.kedge.topo.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Test helper run inside a host: answers every TCP connection with the client's address, then closes. */
public final class WhoAmIServer {
    public static void main(String[] args) throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(Integer.parseInt(args[0])));
            System.out.println("READY");
            System.out.flush();
            while (true) {
                try (Socket s = server.accept()) {
                    InetSocketAddress peer = (InetSocketAddress) s.getRemoteSocketAddress();
                    s.getOutputStream().write((peer.getAddress().getHostAddress() + "\n").getBytes(StandardCharsets.US_ASCII));
                }
            }
        }
    }
}
