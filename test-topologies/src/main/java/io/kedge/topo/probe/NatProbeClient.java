package io.kedge.topo.probe;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kedge.topo.probe.NatBehaviour.Kind;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * The client half of the NAT probe, run inside the host being classified. Follows RFC 5780: the
 * mapping tests reuse one local socket towards three server endpoints; the filtering tests use a
 * fresh socket (so earlier tests have not opened the NAT) and ask the server to answer from an
 * address and port the client never sent to.
 *
 * <p>Usage: {@code NatProbeClient PRIMARY_IP ALTERNATE_IP PORT ALTERNATE_PORT}; prints one JSON line.
 */
public final class NatProbeClient {
    static final int TRIES = 3;
    static final int WAIT_MILLIS = 400;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final InetAddress primary;
    private final InetAddress alternate;
    private final int port;
    private final int alternatePort;

    public NatProbeClient(InetAddress primary, InetAddress alternate, int port, int alternatePort) {
        this.primary = primary;
        this.alternate = alternate;
        this.port = port;
        this.alternatePort = alternatePort;
    }

    public NatBehaviour probe() throws IOException {
        String local;
        Optional<InetSocketAddress> m1;
        Kind mapping = Kind.UNKNOWN;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(0))) {
            m1 = ask(socket, new InetSocketAddress(primary, port), 0);
            local = localAddressTowards(primary) + ":" + socket.getLocalPort();
            if (m1.isPresent()) {
                Optional<InetSocketAddress> m2 = ask(socket, new InetSocketAddress(alternate, port), 0);
                if (m2.isPresent() && m2.get().equals(m1.get())) {
                    mapping = Kind.ENDPOINT_INDEPENDENT;
                } else if (m2.isPresent()) {
                    Optional<InetSocketAddress> m3 = ask(socket, new InetSocketAddress(alternate, alternatePort), 0);
                    mapping = m3.isPresent() && m3.get().equals(m2.get()) ? Kind.ADDRESS_DEPENDENT : Kind.ADDRESS_AND_PORT_DEPENDENT;
                }
            }
        }
        Kind filtering = Kind.UNKNOWN;
        if (m1.isPresent()) {
            try (DatagramSocket fresh = new DatagramSocket(new InetSocketAddress(0))) {
                InetSocketAddress server = new InetSocketAddress(primary, port);
                if (ask(fresh, server, ProbeMessage.CHANGE_IP | ProbeMessage.CHANGE_PORT).isPresent()) {
                    filtering = Kind.ENDPOINT_INDEPENDENT;
                } else if (ask(fresh, server, ProbeMessage.CHANGE_PORT).isPresent()) {
                    filtering = Kind.ADDRESS_DEPENDENT;
                } else {
                    filtering = Kind.ADDRESS_AND_PORT_DEPENDENT;
                }
            }
        }
        Optional<String> tcpMapped = tcp();
        String mapped = m1.map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).orElse(tcpMapped.orElse(null));
        return new NatBehaviour(m1.isPresent(), tcpMapped.isPresent(), local, mapped, mapping, filtering);
    }

    /** Sends a request (retrying) and returns the mapped address from the matching answer. */
    private Optional<InetSocketAddress> ask(DatagramSocket socket, InetSocketAddress server, int flags) throws IOException {
        long txid = RANDOM.nextLong();
        byte[] request = ProbeMessage.request(flags, txid).encode();
        byte[] buffer = new byte[64];
        socket.setSoTimeout(WAIT_MILLIS);
        for (int attempt = 0; attempt < TRIES; attempt++) {
            socket.send(new DatagramPacket(request, request.length, server));
            long deadline = System.currentTimeMillis() + WAIT_MILLIS;
            while (System.currentTimeMillis() < deadline) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(packet);
                } catch (SocketTimeoutException e) {
                    break;
                }
                ProbeMessage reply = ProbeMessage.decode(packet.getData(), packet.getLength());
                if (reply != null && reply.type() == ProbeMessage.RESPONSE && reply.txid() == txid) {
                    return Optional.of(reply.mapped());
                }
            }
        }
        return Optional.empty();
    }

    private Optional<String> tcp() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(primary, port), 2000);
            s.setSoTimeout(2000);
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            return line != null && line.startsWith("KTNP ") ? Optional.of(line.substring(5)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The local address the kernel would use to reach {@code target} (a connected UDP socket sends nothing). */
    private static String localAddressTowards(InetAddress target) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(target, 9);
            return s.getLocalAddress().getHostAddress();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: NatProbeClient PRIMARY_IP ALTERNATE_IP PORT ALTERNATE_PORT");
            System.exit(args.length == 1 && args[0].equals("--help") ? 0 : 2);
        }
        NatBehaviour result = new NatProbeClient(InetAddress.getByName(args[0]), InetAddress.getByName(args[1]),
                Integer.parseInt(args[2]), Integer.parseInt(args[3])).probe();
        System.out.println(new ObjectMapper().writeValueAsString(result));
    }
}
