package io.kedge.topo.probe;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The server half of the NAT probe: UDP on two addresses times two ports (so that it can answer from
 * "the other address" or "the other port"), and TCP on the primary address and port. It runs in the
 * topology's probe host and stops when its stdin closes or it is killed.
 *
 * <p>Usage: {@code NatProbeServer PRIMARY_IP ALTERNATE_IP PORT ALTERNATE_PORT}
 */
public final class NatProbeServer implements AutoCloseable {
    private final DatagramSocket[][] sockets = new DatagramSocket[2][2];
    private final ServerSocket tcp;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    public NatProbeServer(InetAddress primary, InetAddress alternate, int port, int alternatePort) throws IOException {
        InetAddress[] ips = {primary, alternate};
        int[] ports = {port, alternatePort};
        for (int i = 0; i < 2; i++) {
            for (int p = 0; p < 2; p++) {
                sockets[i][p] = new DatagramSocket(new InetSocketAddress(ips[i], ports[p]));
            }
        }
        tcp = new ServerSocket();
        tcp.bind(new InetSocketAddress(primary, port));
        for (int i = 0; i < 2; i++) {
            for (int p = 0; p < 2; p++) {
                int ip = i;
                int pt = p;
                start("udp-" + i + p, () -> serveUdp(ip, pt));
            }
        }
        start("tcp", this::serveTcp);
    }

    private void start(String name, Runnable body) {
        Thread t = new Thread(body, "probe-" + name);
        t.setDaemon(true);
        t.start();
        threads.add(t);
    }

    private void serveUdp(int ip, int port) {
        DatagramSocket socket = sockets[ip][port];
        byte[] buffer = new byte[64];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
            } catch (IOException e) {
                return;
            }
            ProbeMessage request = ProbeMessage.decode(packet.getData(), packet.getLength());
            if (request == null || request.type() != ProbeMessage.REQUEST) {
                continue; // not ours: dropped, never answered (no reflection of junk)
            }
            int replyIp = (request.flags() & ProbeMessage.CHANGE_IP) != 0 ? 1 - ip : ip;
            int replyPort = (request.flags() & ProbeMessage.CHANGE_PORT) != 0 ? 1 - port : port;
            DatagramSocket from = sockets[replyIp][replyPort];
            InetSocketAddress mapped = (InetSocketAddress) packet.getSocketAddress();
            InetSocketAddress source = (InetSocketAddress) from.getLocalSocketAddress();
            byte[] reply = new ProbeMessage(ProbeMessage.RESPONSE, request.flags(), request.txid(), mapped, source).encode();
            try {
                from.send(new DatagramPacket(reply, reply.length, mapped));
            } catch (IOException e) {
                // The client may be gone; nothing to do.
            }
        }
    }

    private void serveTcp() {
        while (!closed) {
            try (Socket s = tcp.accept()) {
                s.setSoTimeout(2000);
                InetSocketAddress peer = (InetSocketAddress) s.getRemoteSocketAddress();
                OutputStream out = s.getOutputStream();
                out.write(("KTNP " + peer.getAddress().getHostAddress() + ":" + peer.getPort() + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (SocketException e) {
                if (closed) {
                    return;
                }
            } catch (IOException e) {
                // One bad client does not stop the server.
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (DatagramSocket[] row : sockets) {
            for (DatagramSocket s : row) {
                if (s != null) {
                    s.close();
                }
            }
        }
        try {
            tcp.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4 || args[0].equals("--help")) {
            System.err.println("usage: NatProbeServer PRIMARY_IP ALTERNATE_IP PORT ALTERNATE_PORT");
            System.exit(args.length == 1 ? 0 : 2);
        }
        try (NatProbeServer server = new NatProbeServer(InetAddress.getByName(args[0]), InetAddress.getByName(args[1]),
                Integer.parseInt(args[2]), Integer.parseInt(args[3]))) {
            System.out.println("READY");
            System.out.flush();
            // Runs until stdin closes (the parent went away) or the process is killed.
            while (System.in.read() >= 0) {
                // discard
            }
        }
    }
}
