package io.kedge.server.testing;

import io.kedge.server.auth.SharedSecretCredentials;
import io.kedge.server.auth.TurnCredentials;
import io.kedge.server.stun.AttributeType;
import io.kedge.server.stun.ErrorCode;
import io.kedge.server.stun.IntegrityKey;
import io.kedge.server.stun.StunClass;
import io.kedge.server.stun.StunCodec;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.stun.StunMethod;
import io.kedge.server.stun.StunParseException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Load for bench/relay: works against any TURN server that accepts coturn's shared-secret scheme.
 *
 * <pre>
 * RelayLoad throughput SERVER_IP PORT SECRET PEER_IP:PORT SESSIONS SIZE SECONDS WINDOW
 *   SESSIONS allocations each bind a channel to an echoing peer and keep WINDOW datagrams of SIZE
 *   bytes in flight; after a 2 s warm-up it counts echoed bytes for SECONDS and prints
 *   RESULT sessions=.. size=.. seconds=.. echoed_bytes=.. mbit_per_s=.. packets_per_s=.. lost=..
 *   (every echoed byte crossed the relay twice: to the peer and back).
 * RelayLoad allocations SERVER_IP PORT SECRET COUNT SECONDS
 *   holds COUNT allocations (one UDP socket each, one agent each), prints "HOLDING COUNT" and
 *   keeps them for SECONDS.
 * </pre>
 */
public final class RelayLoad {
    private static final String RUN = Long.toHexString(System.nanoTime() & 0xFFFFFF);

    private RelayLoad() {
    }

    public static void main(String[] args) throws Exception {
        switch (args.length > 0 ? args[0] : "") {
            case "throughput" -> throughput(args);
            case "allocations" -> allocations(args);
            default -> {
                System.err.println("usage: RelayLoad throughput SERVER_IP PORT SECRET PEER_IP:PORT SESSIONS SIZE SECONDS WINDOW\n"
                        + "       RelayLoad allocations SERVER_IP PORT SECRET COUNT SECONDS");
                System.exit(2);
            }
        }
    }

    private static void throughput(String[] a) throws Exception {
        InetSocketAddress server = new InetSocketAddress(InetAddress.getByName(a[1]), Integer.parseInt(a[2]));
        SharedSecretCredentials secret = new SharedSecretCredentials(List.of(a[3]), Clock.systemUTC());
        InetSocketAddress peer = TurnClientMain.parse(a[4]);
        int sessions = Integer.parseInt(a[5]);
        int size = Integer.parseInt(a[6]);
        int seconds = Integer.parseInt(a[7]);
        int window = Integer.parseInt(a[8]);

        List<TurnClient> clients = new ArrayList<>();
        AtomicLong echoedBytes = new AtomicLong();
        AtomicLong echoedPackets = new AtomicLong();
        long[] sent = new long[sessions];
        AtomicLong[] received = new AtomicLong[sessions];
        for (int i = 0; i < sessions; i++) {
            // Agents of their own per run: allocations of earlier runs must not count against quotas.
            TurnCredentials c = secret.issue("bench-" + RUN + "-" + i, Duration.ofHours(1));
            TurnClient client = new TurnClient(TurnClient.Transport.UDP, server);
            client.allocate(c.username(), c.password());
            client.channelBind(0x4000, peer);
            AtomicLong got = new AtomicLong();
            received[i] = got;
            client.onData(r -> {
                got.incrementAndGet();
                echoedBytes.addAndGet(r.data().length);
                echoedPackets.incrementAndGet();
            });
            clients.add(client);
        }
        byte[] payload = new byte[size];
        long warmupEnd = System.nanoTime() + 2_000_000_000L;
        long end = warmupEnd + seconds * 1_000_000_000L;
        List<Thread> senders = new ArrayList<>();
        long[] lost = new long[sessions];
        for (int i = 0; i < sessions; i++) {
            int s = i;
            Thread t = new Thread(() -> {
                TurnClient client = clients.get(s);
                long lastProgress = System.nanoTime();
                long lastReceived = 0;
                try {
                    while (System.nanoTime() < end) {
                        long inFlight = sent[s] - lost[s] - received[s].get();
                        if (inFlight < window) {
                            client.sendChannel(0x4000, payload);
                            sent[s]++;
                            continue;
                        }
                        long r = received[s].get();
                        long now = System.nanoTime();
                        if (r != lastReceived) {
                            lastReceived = r;
                            lastProgress = now;
                        } else if (now - lastProgress > 200_000_000L) {
                            // Nothing came back for 200 ms: what is in flight is lost; open the window again.
                            lost[s] += inFlight;
                            lastProgress = now;
                        }
                        LockSupport.parkNanos(20_000);
                    }
                } catch (IOException e) {
                    System.err.println("session " + s + ": " + e);
                }
            }, "sender-" + i);
            t.start();
            senders.add(t);
        }
        while (System.nanoTime() < warmupEnd) {
            Thread.sleep(10);
        }
        long startBytes = echoedBytes.get();
        long startPackets = echoedPackets.get();
        long startNanos = System.nanoTime();
        while (System.nanoTime() < end) {
            Thread.sleep(10);
        }
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        long bytes = echoedBytes.get() - startBytes;
        long packets = echoedPackets.get() - startPackets;
        for (Thread t : senders) {
            t.join(5000);
        }
        long totalLost = 0;
        for (long l : lost) {
            totalLost += l;
        }
        System.out.printf(Locale.ROOT, "RESULT sessions=%d size=%d seconds=%.1f echoed_bytes=%d mbit_per_s=%.1f packets_per_s=%.0f lost=%d%n",
                sessions, size, elapsed, bytes, bytes * 8 / elapsed / 1e6, packets / elapsed, totalLost);
        for (TurnClient c : clients) {
            try {
                c.refresh(0); // give the allocation back rather than leave it to expire
            } catch (IOException e) {
                System.err.println("releasing an allocation: " + e.getMessage());
            }
            c.close();
        }
    }

    private static void allocations(String[] a) throws Exception {
        InetSocketAddress server = new InetSocketAddress(InetAddress.getByName(a[1]), Integer.parseInt(a[2]));
        SharedSecretCredentials secret = new SharedSecretCredentials(List.of(a[3]), Clock.systemUTC());
        int count = Integer.parseInt(a[4]);
        List<DatagramSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                DatagramSocket socket = new DatagramSocket(new InetSocketAddress(0));
                socket.setSoTimeout(2000);
                held.add(socket);
                TurnCredentials c = secret.issue("holder-" + RUN + "-" + i, Duration.ofHours(1));
                allocate(socket, server, c.username(), c.password());
            }
            System.out.println("HOLDING " + count);
            System.out.flush();
            Thread.sleep(Long.parseLong(a[5]) * 1000);
        } finally {
            held.forEach(DatagramSocket::close);
        }
    }

    /** One blocking Allocate with the 401 round trip, on a socket of its own (no reader thread). */
    private static void allocate(DatagramSocket socket, InetSocketAddress server, String user, String password) throws IOException {
        String realm = null;
        String nonce = null;
        byte[] transactionId = null;
        for (int attempt = 0; attempt < 6; attempt++) {
            if (transactionId == null) {
                transactionId = new byte[StunMessage.TRANSACTION_ID_LENGTH];
                java.util.concurrent.ThreadLocalRandom.current().nextBytes(transactionId);
            }
            // A retransmission after a timeout keeps its transaction id, as RFC 8489 requires.
            StunMessage.Builder b = StunMessage.builder(StunMethod.ALLOCATE, StunClass.REQUEST, transactionId)
                    .u32(AttributeType.REQUESTED_TRANSPORT, 17L << 24);
            byte[] request;
            if (nonce == null) {
                request = StunCodec.encode(b.build(), null, true);
            } else {
                b.string(AttributeType.USERNAME, user).string(AttributeType.REALM, realm).string(AttributeType.NONCE, nonce);
                request = StunCodec.encode(b.build(), new IntegrityKey(StunCodec.longTermKey(user, realm, password), false), true);
            }
            socket.send(new DatagramPacket(request, request.length, server));
            byte[] buf = new byte[2048];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (java.net.SocketTimeoutException e) {
                continue;
            }
            StunMessage r;
            try {
                r = StunCodec.decode(buf, 0, p.getLength());
                if (!java.util.Arrays.equals(r.transactionId(), transactionId)) {
                    continue; // a late answer to an earlier attempt
                }
                if (r.type() == StunClass.SUCCESS) {
                    return;
                }
                StunMessage.ErrorValue e = r.errorCode();
                if (e != null && (e.code() == ErrorCode.UNAUTHORIZED || e.code() == ErrorCode.STALE_NONCE) && r.has(AttributeType.NONCE)
                        && (nonce == null || e.code() == ErrorCode.STALE_NONCE)) {
                    realm = r.string(AttributeType.REALM);
                    nonce = r.string(AttributeType.NONCE);
                    transactionId = null;
                    continue;
                }
                throw new IOException("allocate refused: " + (e == null ? r : e.code() + " " + e.reason()));
            } catch (StunParseException e) {
                throw new IOException("malformed answer: " + e.getMessage());
            }
        }
        throw new IOException("no allocation after retries");
    }
}
