package io.kedge.agent.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A blocking TCP server on a loopback address for tests: a thread per connection runs a {@link Handler}. */
final class TcpBackend implements AutoCloseable {
    interface Handler {
        void serve(Socket socket, TcpBackend backend) throws IOException;
    }

    /** Echoes every byte until the client ends its side, then ends its own. */
    static final Handler ECHO = (s, b) -> {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
        }
        s.shutdownOutput();
    };

    /** Writes its name and closes: shows which backend a connection reached. */
    static final Handler NAME = (s, b) -> {
        s.getOutputStream().write((b.name + "\n").getBytes(StandardCharsets.UTF_8));
        s.shutdownOutput();
        s.getInputStream().transferTo(OutputStream.nullOutputStream());
    };

    final String name;
    private final ServerSocket server;
    private final Handler handler;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    final AtomicInteger accepted = new AtomicInteger();
    private final Thread acceptor;

    TcpBackend(String name, String ip, Handler handler) throws IOException {
        this.name = name;
        this.handler = handler;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(ip, 0), 200);
        acceptor = new Thread(this::acceptLoop, "backend-" + name);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String ip() {
        return server.getInetAddress().getHostAddress();
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            sockets.add(s);
            Thread t = new Thread(() -> {
                try (s) {
                    handler.serve(s, this);
                } catch (IOException e) {
                    // the client went away
                } finally {
                    sockets.remove(s);
                }
            }, "backend-" + name + "-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    /** Connections open right now. */
    int open() {
        return sockets.size();
    }

    /** Dies abruptly: the listener closes and every connection is reset. */
    void kill() throws InterruptedException {
        close();
        // The JDK finishes closing a listener only when the thread blocked in accept() has left it,
        // and that thread may take one more connection meanwhile: reset that one too.
        acceptor.join(10_000);
        for (Socket s : sockets) {
            try {
                s.setSoLinger(true, 0);
                s.close();
            } catch (SocketException e) {
                // already gone
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
