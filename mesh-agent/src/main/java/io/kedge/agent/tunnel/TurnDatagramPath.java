package io.kedge.agent.tunnel;

import io.kedge.agent.tunnel.turn.TurnClient;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tunnel's datagram path through a TURN allocation held over TCP or TLS: what the QUIC codec
 * sends to this path's loopback address goes to the peer through the relay, and what the peer
 * sends to the allocation comes back to the codec. All Netty, nothing blocks.
 *
 * <p>The side that knows the peer's relayed address from signaling sends to it; the other side
 * (the QUIC server, which never speaks first) takes the first peer the relay delivers from (the
 * relay only delivers from addresses it was permitted) and binds a channel to it. QUIC's handshake
 * with the pinned certificate then decides whether that peer is the right one.
 */
final class TurnDatagramPath implements DatagramPath {
    private static final Logger log = LoggerFactory.getLogger(TurnDatagramPath.class);

    private final TurnClient turn;
    private final Channel loopback;
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private volatile InetSocketAddress peer;
    private volatile InetSocketAddress codec;

    /**
     * @param peer the peer's relayed address, or null to take it from the first datagram delivered
     */
    TurnDatagramPath(TurnClient turn, InetSocketAddress peer, EventLoopGroup group) throws InterruptedException {
        this.turn = turn;
        this.peer = peer;
        this.loopback = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(new FromCodec())
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        turn.receiver(this::fromPeer);
    }

    @Override
    public InetSocketAddress address() {
        return (InetSocketAddress) loopback.localAddress();
    }

    @Override
    public void start(SocketAddress codecAddress) {
        this.codec = (InetSocketAddress) codecAddress;
    }

    private void fromPeer(InetSocketAddress from, ByteBuf data) {
        InetSocketAddress to = codec;
        if (peer == null) {
            synchronized (this) {
                if (peer == null) {
                    peer = from;
                    log.debug("TURN path on {}: peer is {}", turn.relayed(), from);
                    turn.bind(from).whenComplete((ok, e) -> {
                        if (e != null) {
                            log.debug("no channel to {} (Send indications instead): {}", from, e.getMessage());
                        }
                    });
                }
            }
        }
        if (to == null || !from.equals(peer)) {
            data.release(); // before the codec is up, or another allocation than our peer's
            return;
        }
        bytesIn.addAndGet(data.readableBytes());
        loopback.writeAndFlush(new DatagramPacket(data, to), loopback.voidPromise());
    }

    private final class FromCodec extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            InetSocketAddress to = peer;
            if (to == null || !packet.sender().equals(codec)) {
                return; // only the codec may send through us, and only once the peer is known
            }
            bytesOut.addAndGet(packet.content().readableBytes());
            turn.send(to, packet.content().retain());
        }
    }

    @Override
    public long bytesIn() {
        return bytesIn.get();
    }

    @Override
    public long bytesOut() {
        return bytesOut.get();
    }

    @Override
    public void close() {
        loopback.close();
        turn.close();
    }
}
