package io.kedge.agent.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * A backend for tests, run inside a topology host: HTTP on a TCP port answering
 * {@code <name> <path> xff=<X-Forwarded-For>}, and a UDP echo on the same port number that prefixes
 * each datagram with {@code <name>:}. Prints READY when both listen.
 *
 * <p>Usage: {@code BackendServer NAME BIND_ADDRESS PORT}
 */
public final class BackendServer {
    public static void main(String[] args) throws IOException {
        String name = args[0];
        InetSocketAddress bind = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        HttpServer http = HttpServer.create(bind, 128);
        http.setExecutor(Executors.newFixedThreadPool(8));
        http.createContext("/", ex -> {
            String xff = ex.getRequestHeaders().getFirst("X-Forwarded-For");
            byte[] body = (name + " " + ex.getRequestURI().getPath() + " xff=" + xff + "\n").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        });
        http.start();
        DatagramSocket udp = new DatagramSocket(bind);
        Thread echo = new Thread(() -> {
            byte[] buffer = new byte[65535];
            while (true) {
                DatagramPacket p = new DatagramPacket(buffer, buffer.length);
                try {
                    udp.receive(p);
                    byte[] prefix = (name + ":").getBytes(StandardCharsets.UTF_8);
                    byte[] out = new byte[prefix.length + p.getLength()];
                    System.arraycopy(prefix, 0, out, 0, prefix.length);
                    System.arraycopy(p.getData(), 0, out, prefix.length, p.getLength());
                    udp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                } catch (IOException e) {
                    return;
                }
            }
        }, "udp-echo");
        echo.start();
        System.out.println("READY");
        System.out.flush();
    }
}
