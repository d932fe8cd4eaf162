package io.kedge.agent.proxy.udp;

import io.kedge.agent.proxy.PortMetrics;
import io.kedge.agent.proxy.Upstream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The listening socket's handler: routes each client datagram to that client's session, creating
 * it on first contact. The table lives on the listening channel's event loop only (sessions' direct
 * upstream channels are registered on the same loop), so it needs no locking. Bounded: beyond
 * {@code udpMaxSessions} clients, new clients' datagrams are dropped and counted.
 */
final class UdpSessionTable extends ChannelInboundHandlerAdapter {
    private final UdpListener listener;
    private final PortMetrics metrics;
    private final int maxSessions;
    private final Map<InetSocketAddress, UdpSession> sessions = new HashMap<>();
    private volatile int size;

    UdpSessionTable(UdpListener listener) {
        this.listener = listener;
        this.metrics = listener.metrics();
        this.maxSessions = listener.context().config().udpMaxSessions();
    }

    int size() {
        return size;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        InetSocketAddress client = packet.sender();
        UdpSession session = sessions.get(client);
        if (session == null) {
            if (sessions.size() >= maxSessions) {
                metrics.droppedDatagrams.inc();
                packet.release();
                return;
            }
            session = new UdpSession(listener, ctx.channel(), client, this::remove);
            sessions.put(client, session);
            size = sessions.size();
            metrics.sessions.inc();
            metrics.activeSessions.inc();
            session.start();
        }
        session.send(packet.content());
    }

    /**
     * Ends the sessions whose endpoint is not in {@code current} (called on this loop after a catalog
     * update): as kube-proxy clears conntrack entries of removed UDP endpoints, so that clients
     * such as DNS resolvers do not keep sending into the void until the idle timeout.
     */
    void dropSessionsNotTo(Set<Upstream> current) {
        for (UdpSession s : new ArrayList<>(sessions.values())) {
            if (s.endpoint() != null && !current.contains(s.endpoint())) {
                s.close();
            }
        }
    }

    /** Called on this loop when a session ends. */
    private void remove(UdpSession session) {
        if (sessions.remove(session.client(), session)) {
            size = sessions.size();
            metrics.activeSessions.dec();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (UdpSession s : new ArrayList<>(sessions.values())) {
            s.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A listening UDP socket survives errors (e.g. ICMP reports); it is only closed with its listener.
    }
}
