package io.kedge.agent.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;

/**
 * A small upstream DNS server the test scripts (dnsjava messages over plain sockets, on a
 * loopback address): answers, truncates, delays or stays silent as told, and counts what it saw.
 * For what dnsmasq cannot be made to do on purpose.
 */
final class ScriptedUpstream implements AutoCloseable {
    /** What to do with one query. */
    sealed interface Action permits Reply, Silence {
    }

    /** Reply with {@code message}, after {@code delayMillis}. */
    record Reply(Message message, long delayMillis) implements Action {
    }

    record Silence() implements Action {
    }

    /** A query as received. */
    record Seen(Message query, boolean tcp) {
    }

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scripted-upstream");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService delays = Executors.newScheduledThreadPool(4, r -> {
        Thread t = new Thread(r, "scripted-upstream-delay");
        t.setDaemon(true);
        return t;
    });
    private volatile BiFunction<Message, Boolean, Action> script;
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final AtomicInteger pending = new AtomicInteger();
    final AtomicInteger maxPending = new AtomicInteger();
    private final ConcurrentHashMap<Socket, Boolean> connections = new ConcurrentHashMap<>();

    ScriptedUpstream(InetAddress address, BiFunction<Message, Boolean, Action> script) throws IOException {
        this.script = script;
        DatagramSocket u = null;
        ServerSocket t = null;
        for (int attempt = 0; attempt < 10 && t == null; attempt++) {
            u = new DatagramSocket(new InetSocketAddress(address, 0));
            try {
                t = new ServerSocket();
                t.setReuseAddress(true);
                t.bind(new InetSocketAddress(address, u.getLocalPort()));
            } catch (IOException e) {
                u.close();
                t = null;
            }
        }
        if (t == null) {
            throw new IOException("no port free for UDP and TCP on " + address);
        }
        this.udp = u;
        this.tcp = t;
        threads.execute(this::serveUdp);
        threads.execute(this::acceptTcp);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    String server() {
        return udp.getLocalAddress().getHostAddress() + ":" + udp.getLocalPort();
    }

    void script(BiFunction<Message, Boolean, Action> next) {
        script = next;
    }

    long count(String name, boolean tcp) {
        return seen.stream().filter(s -> s.tcp() == tcp && s.query().getQuestion().getName().toString().equalsIgnoreCase(name)).count();
    }

    long count(String name) {
        return count(name, false) + count(name, true);
    }

    private void serveUdp() {
        byte[] buf = new byte[65535];
        while (!udp.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                udp.receive(p);
                Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
                handle(q, false, reply -> {
                    byte[] wire = reply.toWire();
                    udp.send(new DatagramPacket(wire, wire.length, from));
                });
            } catch (IOException e) {
                // closed, or a packet we cannot parse: go on until closed
            }
        }
    }

    private void acceptTcp() {
        while (!tcp.isClosed()) {
            try {
                Socket s = tcp.accept();
                connections.put(s, true);
                threads.execute(() -> serveTcp(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serveTcp(Socket s) {
        try (s) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            while (true) {
                int len = in.readUnsignedShort();
                byte[] data = in.readNBytes(len);
                Message q = new Message(data);
                handle(q, true, reply -> {
                    byte[] wire = reply.toWire();
                    synchronized (out) {
                        out.writeShort(wire.length);
                        out.write(wire);
                        out.flush();
                    }
                });
            }
        } catch (IOException e) {
            // client went away
        } finally {
            connections.remove(s);
        }
    }

    private interface Sender {
        void send(Message reply) throws IOException;
    }

    private void handle(Message q, boolean overTcp, Sender sender) {
        seen.add(new Seen(q, overTcp));
        Action action = script.apply(q, overTcp);
        if (action instanceof Reply r) {
            int now = pending.incrementAndGet();
            maxPending.accumulateAndGet(now, Math::max);
            delays.schedule(() -> {
                pending.decrementAndGet();
                try {
                    sender.send(r.message());
                } catch (IOException e) {
                    // client gone
                }
            }, r.delayMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** A NOERROR reply to {@code q} with one A record per address. */
    static Message answer(Message q, long ttl, String... addresses) {
        Message m = replyTo(q, Rcode.NOERROR);
        for (String a : addresses) {
            try {
                m.addRecord(new ARecord(q.getQuestion().getName(), DClass.IN, ttl, InetAddress.getByName(a)), Section.ANSWER);
            } catch (IOException e) {
                throw new IllegalArgumentException(a, e);
            }
        }
        return m;
    }

    /** NXDOMAIN with the SOA of example.test (TTL {@code soaTtl}, minimum {@code minimum}). */
    static Message nxdomain(Message q, long soaTtl, long minimum) {
        Message m = replyTo(q, Rcode.NXDOMAIN);
        Name zone = Name.fromConstantString("example.test.");
        m.addRecord(new SOARecord(zone, DClass.IN, soaTtl, zone, zone, 1, 3600, 600, 86400, minimum), Section.AUTHORITY);
        return m;
    }

    static Message replyTo(Message q, int rcode) {
        Message m = new Message(q.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        m.getHeader().setFlag(Flags.RD);
        m.getHeader().setRcode(rcode);
        Record question = q.getQuestion();
        m.addRecord(question, Section.QUESTION);
        return m;
    }

    @Override
    public void close() {
        udp.close();
        try {
            tcp.close();
        } catch (IOException e) {
            // closing anyway
        }
        connections.keySet().forEach(s -> {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        });
        threads.shutdownNow();
        delays.shutdownNow();
    }
}
