package io.kedge.server.testing;

import io.kedge.server.stun.AttributeType;
import io.kedge.server.stun.ChannelData;
import io.kedge.server.stun.ErrorCode;
import io.kedge.server.stun.IntegrityKey;
import io.kedge.server.stun.StunClass;
import io.kedge.server.stun.StunCodec;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.stun.StunMethod;
import io.kedge.server.stun.StunParseException;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A small blocking TURN client for tests and benchmarks, written from the RFCs independently of the
 * server's logic (it shares only the wire codec): long-term authentication with 401/438 retries,
 * Allocate, Refresh, CreatePermission, ChannelBind, Send indications and ChannelData, over UDP,
 * TCP or TLS (trusting any certificate: tests use the relay's self-signed one).
 */
public final class TurnClient implements Closeable {
    public enum Transport { UDP, TCP, TLS }

    /** Data relayed to us: from {@code peer}, on {@code channel} (0 for a Data indication). */
    public record Received(int channel, InetSocketAddress peer, byte[] data) {
    }

    /** A request the server refused. */
    public static final class TurnError extends IOException {
        public final int code;

        TurnError(int code, String reason) {
            super(code + " " + reason);
            this.code = code;
        }
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    private static final int ATTEMPTS = 5;
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(2);

    private final Transport transport;
    private final InetSocketAddress server;
    private final DatagramSocket udp;
    private final Socket stream;
    private final OutputStream out;
    private final Map<String, BlockingQueue<StunMessage>> pending = new ConcurrentHashMap<>();
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>(100_000);
    private final Map<Integer, InetSocketAddress> channels = new ConcurrentHashMap<>();
    private final AtomicLong receivedCount = new AtomicLong();
    private final AtomicLong receivedBytes = new AtomicLong();
    private final AtomicLong direct = new AtomicLong();
    private final Thread reader;
    private volatile boolean closed;
    private volatile Receiver receiver;
    private String username;
    private String password;
    private String realm;
    private String nonce;
    private InetSocketAddress relayed;
    private InetSocketAddress mapped;

    /** Called on the reader thread for relayed data instead of queueing it (for echo and counting). */
    @FunctionalInterface
    public interface Receiver {
        void onData(Received r);
    }

    public TurnClient(Transport transport, InetSocketAddress server) throws IOException {
        this.transport = transport;
        this.server = server;
        if (transport == Transport.UDP) {
            udp = new DatagramSocket(new InetSocketAddress(0));
            udp.setReceiveBufferSize(4 * 1024 * 1024);
            stream = null;
            out = null;
        } else {
            udp = null;
            Socket s;
            if (transport == Transport.TLS) {
                s = trustingTls().getSocketFactory().createSocket();
            } else {
                s = new Socket();
            }
            s.connect(server, 10_000);
            s.setTcpNoDelay(true);
            stream = s;
            out = s.getOutputStream();
        }
        reader = new Thread(this::readLoop, "turn-client-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Test clients do not check the relay's (self-signed) certificate. */
    static SSLContext trustingTls() throws IOException {
        return trustingTls(null);
    }

    /** The same with a client identity, for mutual TLS. */
    static SSLContext trustingTls(javax.net.ssl.KeyManager[] identity) throws IOException {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(identity, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    public InetSocketAddress relayedAddress() {
        return relayed;
    }

    public InetSocketAddress mappedAddress() {
        return mapped;
    }

    public long receivedCount() {
        return receivedCount.get();
    }

    public long receivedBytes() {
        return receivedBytes.get();
    }

    /** Datagrams that reached this client's socket from anywhere but the relay. */
    public long directCount() {
        return direct.get();
    }

    /** Sends {@code data} straight to {@code target} from the client's UDP socket, bypassing the relay. */
    public void sendDirect(InetSocketAddress target, byte[] data) throws IOException {
        udp.send(new DatagramPacket(data, data.length, target));
    }

    public void onData(Receiver r) {
        this.receiver = r;
    }

    /** STUN Binding: the address the server saw this client at. */
    public InetSocketAddress binding() throws IOException {
        StunMessage r = transact(id -> StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, id), false);
        try {
            return r.xorAddress(AttributeType.XOR_MAPPED_ADDRESS);
        } catch (StunParseException e) {
            throw new IOException(e.getMessage());
        }
    }

    /** Allocates a UDP relayed address with long-term credentials; returns it. */
    public InetSocketAddress allocate(String username, String password) throws IOException {
        this.username = username;
        this.password = password;
        StunMessage r = transact(id -> StunMessage.builder(StunMethod.ALLOCATE, StunClass.REQUEST, id)
                .u32(AttributeType.REQUESTED_TRANSPORT, 17L << 24), true);
        try {
            relayed = r.xorAddress(AttributeType.XOR_RELAYED_ADDRESS);
            mapped = r.xorAddress(AttributeType.XOR_MAPPED_ADDRESS);
        } catch (StunParseException e) {
            throw new IOException(e.getMessage());
        }
        return relayed;
    }

    public long refresh(long lifetime) throws IOException {
        StunMessage r = transact(id -> StunMessage.builder(StunMethod.REFRESH, StunClass.REQUEST, id).u32(AttributeType.LIFETIME, lifetime), true);
        try {
            return r.u32(AttributeType.LIFETIME);
        } catch (StunParseException e) {
            throw new IOException(e.getMessage());
        }
    }

    public void createPermission(InetSocketAddress... peers) throws IOException {
        transact(id -> {
            StunMessage.Builder b = StunMessage.builder(StunMethod.CREATE_PERMISSION, StunClass.REQUEST, id);
            for (InetSocketAddress p : peers) {
                b.xorAddress(AttributeType.XOR_PEER_ADDRESS, p);
            }
            return b;
        }, true);
    }

    public void channelBind(int channel, InetSocketAddress peer) throws IOException {
        transact(id -> StunMessage.builder(StunMethod.CHANNEL_BIND, StunClass.REQUEST, id)
                .attribute(AttributeType.CHANNEL_NUMBER, new byte[] {(byte) (channel >> 8), (byte) channel, 0, 0})
                .xorAddress(AttributeType.XOR_PEER_ADDRESS, peer), true);
        channels.put(channel, peer);
    }

    /** Sends {@code data} to {@code peer} in a Send indication. */
    public void send(InetSocketAddress peer, byte[] data) throws IOException {
        write(StunCodec.encode(StunMessage.builder(StunMethod.SEND, StunClass.INDICATION)
                .xorAddress(AttributeType.XOR_PEER_ADDRESS, peer).attribute(AttributeType.DATA, data).build(), null, true));
    }

    /** Sends {@code data} as ChannelData on a bound channel. */
    public void sendChannel(int channel, byte[] data) throws IOException {
        int padding = transport == Transport.UDP ? 0 : ChannelData.streamPadding(data.length);
        byte[] frame = new byte[ChannelData.HEADER_LENGTH + data.length + padding];
        frame[0] = (byte) (channel >> 8);
        frame[1] = (byte) channel;
        frame[2] = (byte) (data.length >> 8);
        frame[3] = (byte) data.length;
        System.arraycopy(data, 0, frame, 4, data.length);
        write(frame);
    }

    /** Sends {@code data} back to where {@code r} came from, the way it came. */
    public void reply(Received r, byte[] data) throws IOException {
        if (r.channel() != 0) {
            sendChannel(r.channel(), data);
        } else {
            send(r.peer(), data);
        }
    }

    /** The next relayed datagram, or null after {@code timeout}. */
    public Received receive(Duration timeout) throws InterruptedException {
        return received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sends a raw datagram (UDP) or bytes (streams) to the server, for malformed-input tests. */
    public void sendRaw(byte[] bytes) throws IOException {
        write(bytes);
    }

    /** A request built for a given transaction id (each attempt of the 401/438 dance gets a new one). */
    @FunctionalInterface
    private interface Request {
        StunMessage.Builder build(byte[] transactionId);
    }

    private StunMessage transact(Request request, boolean authenticate) throws IOException {
        for (int round = 0; round < 3; round++) {
            byte[] id = new byte[StunMessage.TRANSACTION_ID_LENGTH];
            RANDOM.nextBytes(id);
            StunMessage.Builder copy = request.build(id);
            byte[] bytes;
            if (authenticate && nonce != null) {
                copy.string(AttributeType.USERNAME, username).string(AttributeType.REALM, realm).string(AttributeType.NONCE, nonce);
                bytes = StunCodec.encode(copy.build(), new IntegrityKey(StunCodec.longTermKey(username, realm, password), false), true);
            } else {
                bytes = StunCodec.encode(copy.build(), null, true);
            }
            StunMessage response = exchange(bytes);
            if (response.type() == StunClass.SUCCESS) {
                return response;
            }
            StunMessage.ErrorValue error;
            try {
                error = response.errorCode();
            } catch (StunParseException e) {
                throw new IOException("malformed error response: " + e.getMessage());
            }
            int code = error == null ? 0 : error.code();
            boolean challenge = authenticate && (code == ErrorCode.STALE_NONCE || (code == ErrorCode.UNAUTHORIZED && nonce == null));
            if (challenge && response.has(AttributeType.NONCE)) {
                realm = response.string(AttributeType.REALM);
                nonce = response.string(AttributeType.NONCE);
                continue;
            }
            throw new TurnError(code, error == null ? "" : error.reason());
        }
        throw new IOException("authentication did not converge");
    }

    /** Sends a request and waits for its response, retransmitting over UDP. */
    private StunMessage exchange(byte[] request) throws IOException {
        String id = java.util.HexFormat.of().formatHex(Arrays.copyOfRange(request, 8, 20));
        BlockingQueue<StunMessage> answer = new LinkedBlockingQueue<>();
        pending.put(id, answer);
        try {
            int attempts = transport == Transport.UDP ? ATTEMPTS : 1;
            for (int i = 0; i < attempts; i++) {
                write(request);
                StunMessage r = answer.poll(transport == Transport.UDP ? ATTEMPT_TIMEOUT.toMillis() : 10_000, TimeUnit.MILLISECONDS);
                if (r != null) {
                    return r;
                }
            }
            throw new SocketTimeoutException("no answer from " + server + " to " + StunMethod.name(StunCodec.methodOf(
                    ((request[0] & 0xFF) << 8) | (request[1] & 0xFF))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } finally {
            pending.remove(id);
        }
    }

    private void write(byte[] bytes) throws IOException {
        if (udp != null) {
            udp.send(new DatagramPacket(bytes, bytes.length, server));
        } else {
            synchronized (out) {
                out.write(bytes);
                out.flush();
            }
        }
    }

    private void readLoop() {
        try {
            if (udp != null) {
                byte[] buf = new byte[65536];
                while (!closed) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    udp.receive(p);
                    if (!server.equals(p.getSocketAddress())) {
                        direct.incrementAndGet(); // not through the relay: a hole-punching attempt got through
                        continue;
                    }
                    handle(Arrays.copyOf(p.getData(), p.getLength()));
                }
            } else {
                DataInputStream in = new DataInputStream(stream.getInputStream());
                while (!closed) {
                    handle(readFrame(in));
                }
            }
        } catch (IOException e) {
            // Closed.
        }
    }

    private static byte[] readFrame(InputStream input) throws IOException {
        DataInputStream in = (DataInputStream) input;
        byte[] head = new byte[4];
        in.readFully(head);
        int length = ((head[2] & 0xFF) << 8) | (head[3] & 0xFF);
        int total = (head[0] & 0xC0) == 0 ? StunMessage.HEADER_LENGTH + length
                : ChannelData.HEADER_LENGTH + length + ChannelData.streamPadding(length);
        byte[] frame = Arrays.copyOf(head, total);
        in.readFully(frame, 4, total - 4);
        return frame;
    }

    private void handle(byte[] bytes) {
        if (bytes.length >= 4 && ChannelData.isChannelData(bytes[0])) {
            int channel = ((bytes[0] & 0xFF) << 8) | (bytes[1] & 0xFF);
            int length = ((bytes[2] & 0xFF) << 8) | (bytes[3] & 0xFF);
            if (length + 4 <= bytes.length) {
                deliver(new Received(channel, channels.get(channel), Arrays.copyOfRange(bytes, 4, 4 + length)));
            }
            return;
        }
        StunMessage m;
        try {
            m = StunCodec.decode(bytes, 0, bytes.length);
        } catch (StunParseException e) {
            return;
        }
        if (m.type() == StunClass.INDICATION && m.method() == StunMethod.DATA) {
            try {
                deliver(new Received(0, m.xorAddress(AttributeType.XOR_PEER_ADDRESS), m.value(AttributeType.DATA)));
            } catch (StunParseException e) {
                // Ignored: not something a test sends itself.
            }
            return;
        }
        BlockingQueue<StunMessage> q = pending.get(m.transactionIdHex());
        if (q != null) {
            q.offer(m);
        }
    }

    private void deliver(Received r) {
        receivedCount.incrementAndGet();
        receivedBytes.addAndGet(r.data().length);
        Receiver rcv = receiver;
        if (rcv != null) {
            rcv.onData(r);
        } else {
            received.offer(r);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (udp != null) {
                udp.close();
            } else {
                stream.close();
            }
        } catch (IOException e) {
            // Closing anyway.
        }
        reader.interrupt();
    }
}
