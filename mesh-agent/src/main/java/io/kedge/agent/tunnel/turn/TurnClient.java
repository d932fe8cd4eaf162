package io.kedge.agent.tunnel.turn;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TURN client over one TCP or TLS connection to a TURN server (RFC 8656 with long-term
 * credentials): one UDP allocation, permissions and channel bindings towards peers, refreshed
 * before they expire, and datagrams to and from peers (ChannelData once a channel is bound, Send
 * and Data indications before). For sites that drop UDP: only the relay's side of the allocation
 * speaks UDP. Everything runs on the connection's event loop; public methods may be called from
 * any thread.
 */
public final class TurnClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TurnClient.class);
    private static final int CONNECT_TIMEOUT_MILLIS = 5000;
    private static final long TRANSACTION_TIMEOUT_SECONDS = 10;
    /** Well inside the shortest lifetime refreshed (permissions last 300 s). */
    private static final long REFRESH_PERIOD_SECONDS = 60;
    private static final int MAX_AUTH_ATTEMPTS = 3;
    private static final int FIRST_CHANNEL = 0x4000;
    private static final int LAST_CHANNEL = 0x4FFF;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Datagrams from peers. Called on the connection's event loop; it owns {@code data} and must release it. */
    public interface Receiver {
        void received(InetSocketAddress peer, ByteBuf data);
    }

    private final Channel channel;
    private final String transport;
    private final String username;
    private final String password;
    private final Map<String, Pending> pending = new HashMap<>();
    private final Set<InetAddress> permissions = new LinkedHashSet<>();
    private final Map<InetSocketAddress, Integer> channelsByPeer = new HashMap<>();
    private final Map<Integer, InetSocketAddress> peersByChannel = new HashMap<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private int nextChannel = FIRST_CHANNEL;
    private String realm;
    private String nonce;
    private byte[] key;
    private volatile InetSocketAddress relayed;
    private volatile Receiver receiver = (peer, data) -> data.release();
    private ScheduledFuture<?> refresher;

    private record Pending(int method, Consumer<StunWire.Builder> attributes, CompletableFuture<StunWire.Message> result, int attempt,
                           ScheduledFuture<?> timeout) {
    }

    private TurnClient(Channel channel, String transport, String username, String password) {
        this.channel = channel;
        this.transport = transport;
        this.username = username;
        this.password = password;
    }

    /**
     * Connects to the TURN server at {@code server}, over TLS when {@code tls} is given.
     * Completes once the connection (and TLS handshake) is up.
     */
    public static CompletableFuture<TurnClient> connect(EventLoopGroup group, InetSocketAddress server, SslContext tls, String username,
                                                        String password) {
        CompletableFuture<TurnClient> result = new CompletableFuture<>();
        TurnClient[] client = new TurnClient[1];
        new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        client[0] = new TurnClient(ch, tls == null ? "tcp" : "tls", username, password);
                        if (tls != null) {
                            io.netty.handler.ssl.SslHandler ssl = tls.newHandler(ch.alloc(), server.getHostString(), server.getPort());
                            ch.pipeline().addLast("tls", ssl);
                            ssl.handshakeFuture().addListener(f -> {
                                if (f.isSuccess()) {
                                    result.complete(client[0]);
                                } else {
                                    result.completeExceptionally(f.cause());
                                    ch.close();
                                }
                            });
                        }
                        ch.pipeline().addLast("frames", new TurnStreamDecoder()).addLast("client", client[0].new Handler());
                    }
                })
                .connect(server).addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        result.completeExceptionally(new TurnException("cannot reach TURN server " + server + " over "
                                + (tls == null ? "TCP" : "TLS") + ": " + f.cause().getMessage()));
                    } else if (tls == null) {
                        result.complete(client[0]);
                    }
                });
        return result;
    }

    /** "tcp" or "tls": how this client reaches the server. */
    public String transport() {
        return transport;
    }

    /** The relayed transport address, once allocated. */
    public InetSocketAddress relayed() {
        return relayed;
    }

    /** Completes when the connection to the server is gone (the allocation with it). */
    public CompletableFuture<Void> closeFuture() {
        return closed;
    }

    public void receiver(Receiver receiver) {
        this.receiver = receiver;
    }

    /** Allocates a UDP relayed address, authenticating when the server challenges; refreshes it for as long as the client lives. */
    public CompletableFuture<InetSocketAddress> allocate() {
        return request(StunWire.ALLOCATE, b -> b.addInt(StunWire.REQUESTED_TRANSPORT, StunWire.TRANSPORT_UDP << 24)).thenApply(response -> {
            InetSocketAddress address = response.xorAddress(StunWire.XOR_RELAYED_ADDRESS);
            if (address == null) {
                throw new IllegalStateException("the ALLOCATE response has no XOR-RELAYED-ADDRESS");
            }
            relayed = address;
            channel.eventLoop().execute(this::startRefreshing);
            return address;
        });
    }

    /** Lets {@code peer} (any port) send to the allocation, and the allocation send to it. */
    public CompletableFuture<Void> permit(InetAddress peer) {
        return request(StunWire.CREATE_PERMISSION, b -> b.addXorAddress(StunWire.XOR_PEER_ADDRESS, new InetSocketAddress(peer, 0)))
                .thenRun(() -> channel.eventLoop().execute(() -> permissions.add(peer)));
    }

    /** Binds a channel to {@code peer} (which also permits it): from then on datagrams go as ChannelData, 4 bytes of overhead. */
    public CompletableFuture<Void> bind(InetSocketAddress peer) {
        CompletableFuture<Integer> number = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            Integer existing = channelsByPeer.get(peer);
            if (existing != null) {
                number.complete(existing);
            } else if (nextChannel > LAST_CHANNEL) {
                number.completeExceptionally(new TurnException("no channel numbers left"));
            } else {
                number.complete(nextChannel++);
            }
        });
        return number.thenCompose(n -> request(StunWire.CHANNEL_BIND, b -> b.addInt(StunWire.CHANNEL_NUMBER, n << 16)
                .addXorAddress(StunWire.XOR_PEER_ADDRESS, peer)).thenRun(() -> channel.eventLoop().execute(() -> {
                    channelsByPeer.put(peer, n);
                    peersByChannel.put(n, peer);
                })));
    }

    /**
     * Sends one datagram to {@code peer} through the allocation; takes ownership of {@code data}.
     * Dropped (as UDP would) when the connection cannot take more right now.
     */
    public void send(InetSocketAddress peer, ByteBuf data) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> send(peer, data));
            return;
        }
        try {
            if (!channel.isActive() || !channel.isWritable()) {
                return;
            }
            Integer n = channelsByPeer.get(peer);
            if (n != null) {
                channel.writeAndFlush(StunWire.channelData(channel.alloc(), n, data), channel.voidPromise());
            } else {
                byte[] transactionId = new byte[12];
                RANDOM.nextBytes(transactionId);
                channel.writeAndFlush(new StunWire.Builder(StunWire.SEND, StunWire.INDICATION, transactionId)
                        .addXorAddress(StunWire.XOR_PEER_ADDRESS, peer).add(StunWire.DATA_VALUE, ByteBufUtil.getBytes(data))
                        .encode(channel.alloc(), null), channel.voidPromise());
            }
        } finally {
            data.release();
        }
    }

    private CompletableFuture<StunWire.Message> request(int method, Consumer<StunWire.Builder> attributes) {
        CompletableFuture<StunWire.Message> result = new CompletableFuture<>();
        channel.eventLoop().execute(() -> transmit(method, attributes, result, 1));
        return result;
    }

    private void transmit(int method, Consumer<StunWire.Builder> attributes, CompletableFuture<StunWire.Message> result, int attempt) {
        if (!channel.isActive()) {
            result.completeExceptionally(new TurnException("connection to the TURN server is closed"));
            return;
        }
        byte[] transactionId = new byte[12];
        RANDOM.nextBytes(transactionId);
        StunWire.Builder b = new StunWire.Builder(method, StunWire.REQUEST, transactionId);
        attributes.accept(b);
        if (key != null) {
            b.add(StunWire.USERNAME, username).add(StunWire.REALM, realm).add(StunWire.NONCE, nonce);
        }
        String id = ByteBufUtil.hexDump(transactionId);
        ScheduledFuture<?> timeout = channel.eventLoop().schedule(() -> {
            if (pending.remove(id) != null) {
                result.completeExceptionally(new TurnException("no answer from the TURN server to " + name(method) + " within "
                        + TRANSACTION_TIMEOUT_SECONDS + " s"));
            }
        }, TRANSACTION_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        pending.put(id, new Pending(method, attributes, result, attempt, timeout));
        channel.writeAndFlush(b.encode(channel.alloc(), key), channel.voidPromise());
    }

    private void onResponse(StunWire.Message m) {
        Pending p = pending.remove(ByteBufUtil.hexDump(m.transactionId()));
        if (p == null || p.method() != m.method()) {
            return; // late, duplicate or foreign: nothing waits for it
        }
        p.timeout().cancel(false);
        if (m.cls() == StunWire.SUCCESS) {
            p.result().complete(m);
            return;
        }
        int code = m.errorCode();
        String newRealm = m.string(StunWire.REALM);
        String newNonce = m.string(StunWire.NONCE);
        boolean challenge = (code == 401 && newRealm != null && newNonce != null) || (code == 438 && newNonce != null);
        if (challenge && p.attempt() < MAX_AUTH_ATTEMPTS) {
            if (newRealm != null && !newRealm.equals(realm)) {
                realm = newRealm;
            }
            nonce = newNonce;
            key = StunWire.longTermKey(username, realm, password);
            transmit(p.method(), p.attributes(), p.result(), p.attempt() + 1);
            return;
        }
        byte[] error = m.value(StunWire.ERROR_CODE);
        String reason = error == null || error.length <= 4 ? "" : " " + new String(error, 4, error.length - 4, java.nio.charset.StandardCharsets.UTF_8);
        p.result().completeExceptionally(new TurnException("TURN server refused " + name(m.method()) + ": " + code + reason));
    }

    private void onIndication(StunWire.Message m) {
        if (m.method() != StunWire.DATA) {
            return;
        }
        InetSocketAddress peer = m.xorAddress(StunWire.XOR_PEER_ADDRESS);
        byte[] data = m.value(StunWire.DATA_VALUE);
        if (peer != null && data != null) {
            receiver.received(peer, Unpooled.wrappedBuffer(data));
        }
    }

    private void onChannelData(TurnStreamDecoder.ChannelDataFrame frame) {
        InetSocketAddress peer = peersByChannel.get(frame.channel());
        if (peer == null) {
            frame.payload().release(); // a channel we never bound
            return;
        }
        receiver.received(peer, frame.payload());
    }

    /** Keeps the allocation, permissions and channels alive: each is refreshed well before its lifetime ends. */
    private void startRefreshing() {
        if (refresher != null || !channel.isActive()) {
            return;
        }
        refresher = channel.eventLoop().scheduleAtFixedRate(() -> {
            request(StunWire.REFRESH, b -> b.addInt(StunWire.LIFETIME, 600)).whenComplete((r, e) -> {
                if (e != null) {
                    log.warn("TURN allocation {} could not be refreshed: {}", relayed, e.getMessage());
                    channel.close();
                }
            });
            for (InetAddress peer : permissions) {
                permit(peer);
            }
            for (InetSocketAddress peer : channelsByPeer.keySet()) {
                bind(peer);
            }
        }, REFRESH_PERIOD_SECONDS, REFRESH_PERIOD_SECONDS, TimeUnit.SECONDS);
    }

    private static String name(int method) {
        return switch (method) {
            case StunWire.ALLOCATE -> "ALLOCATE";
            case StunWire.REFRESH -> "REFRESH";
            case StunWire.CREATE_PERMISSION -> "CREATE-PERMISSION";
            case StunWire.CHANNEL_BIND -> "CHANNEL-BIND";
            default -> "method 0x" + Integer.toHexString(method);
        };
    }

    /** Closes the connection; the server frees the allocation with it. */
    @Override
    public void close() {
        channel.close();
    }

    private final class Handler extends SimpleChannelInboundHandler<Object> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof TurnStreamDecoder.ChannelDataFrame frame) {
                onChannelData(frame);
            } else if (msg instanceof StunWire.Message m) {
                if (m.cls() == StunWire.SUCCESS || m.cls() == StunWire.ERROR) {
                    onResponse(m);
                } else if (m.cls() == StunWire.INDICATION) {
                    onIndication(m);
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (refresher != null) {
                refresher.cancel(false);
            }
            for (Pending p : pending.values()) {
                p.timeout().cancel(false);
                p.result().completeExceptionally(new TurnException("connection to the TURN server closed"));
            }
            pending.clear();
            closed.complete(null);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("TURN connection to {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
