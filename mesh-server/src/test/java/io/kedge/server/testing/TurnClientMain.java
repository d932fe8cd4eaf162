package io.kedge.server.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * {@link TurnClient} driven over stdin/stdout, so that tests can run it inside a topology host.
 * The answer to the n-th command (counting from 1) is prefixed with {@code #n }.
 *
 * <pre>
 * java ... TurnClientMain udp|tcp|tls SERVER_IP PORT USER PASSWORD
 *   -> READY relayed=IP:PORT mapped=IP:PORT      (or FAILED allocate CODE)
 * permit IP:PORT             -> OK permit | ERROR permit CODE
 * bind CHANNEL IP:PORT       -> OK bind | ERROR bind CODE
 * send CHANNEL COUNT SIZE    -> SENT COUNT       (ChannelData, numbered datagrams)
 * sendto IP:PORT COUNT SIZE  -> SENT COUNT       (Send indications)
 * echo                       -> OK echo          (every datagram received goes back the way it came)
 * punch IP:PORT COUNT        -> PUNCHED COUNT    (UDP straight to IP:PORT, 50 ms apart, not relayed)
 * stats                      -> STATS received=N bytes=B direct=D
 * refresh LIFETIME           -> OK refresh GRANTED
 * quit
 * </pre>
 */
public final class TurnClientMain {
    private static int sequence;

    private TurnClientMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: TurnClientMain udp|tcp|tls SERVER_IP PORT USER PASSWORD");
            System.exit(2);
        }
        TurnClient.Transport transport = TurnClient.Transport.valueOf(args[0].toUpperCase(Locale.ROOT));
        InetSocketAddress server = new InetSocketAddress(InetAddress.getByName(args[1]), Integer.parseInt(args[2]));
        try (TurnClient client = new TurnClient(transport, server)) {
            try {
                client.allocate(args[3], args[4]);
            } catch (TurnClient.TurnError e) {
                say("FAILED allocate " + e.code);
                return;
            }
            say("READY relayed=" + format(client.relayedAddress()) + " mapped=" + format(client.mappedAddress()));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                sequence++;
                String[] w = line.strip().split("\\s+");
                switch (w[0]) {
                    case "permit" -> request("permit", () -> client.createPermission(parse(w[1])));
                    case "bind" -> request("bind", () -> client.channelBind(Integer.decode(w[1]), parse(w[2])));
                    case "send" -> {
                        int count = Integer.parseInt(w[2]);
                        for (int i = 0; i < count; i++) {
                            client.sendChannel(Integer.decode(w[1]), numbered(i, Integer.parseInt(w[3])));
                        }
                        answer("SENT " + count);
                    }
                    case "sendto" -> {
                        int count = Integer.parseInt(w[2]);
                        for (int i = 0; i < count; i++) {
                            client.send(parse(w[1]), numbered(i, Integer.parseInt(w[3])));
                        }
                        answer("SENT " + count);
                    }
                    case "echo" -> {
                        client.onData(r -> {
                            try {
                                client.reply(r, r.data());
                            } catch (IOException e) {
                                System.err.println("echo failed: " + e);
                            }
                        });
                        answer("OK echo");
                    }
                    case "punch" -> {
                        int count = Integer.parseInt(w[2]);
                        for (int i = 0; i < count; i++) {
                            client.sendDirect(parse(w[1]), numbered(i, 16));
                            Thread.sleep(50);
                        }
                        answer("PUNCHED " + count);
                    }
                    case "stats" -> answer("STATS received=" + client.receivedCount() + " bytes=" + client.receivedBytes()
                            + " direct=" + client.directCount());
                    case "refresh" -> request("refresh", () -> answer("OK refresh " + client.refresh(Long.parseLong(w[1]))));
                    case "quit" -> {
                        return;
                    }
                    default -> answer("ERROR unknown command " + w[0]);
                }
            }
        }
    }

    @FunctionalInterface
    interface Step {
        void run() throws IOException;
    }

    private static void request(String name, Step step) {
        try {
            step.run();
            if (!name.equals("refresh")) {
                answer("OK " + name);
            }
        } catch (TurnClient.TurnError e) {
            answer("ERROR " + name + " " + e.code);
        } catch (IOException e) {
            answer("ERROR " + name + " " + e.getMessage());
        }
    }

    static byte[] numbered(int i, int size) {
        byte[] b = new byte[Math.max(4, size)];
        ByteBuffer.wrap(b).putInt(i);
        return b;
    }

    static InetSocketAddress parse(String ipPort) throws IOException {
        int colon = ipPort.lastIndexOf(':');
        return new InetSocketAddress(InetAddress.getByName(ipPort.substring(0, colon)), Integer.parseInt(ipPort.substring(colon + 1)));
    }

    static String format(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static void answer(String line) {
        say("#" + sequence + " " + line);
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
