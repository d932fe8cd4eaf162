package io.kedge.agent.proxy.udp;

import io.kedge.agent.proxy.PortListener;
import io.kedge.agent.proxy.PortMetrics;
import io.kedge.agent.proxy.ProxyContext;
import io.kedge.agent.proxy.Route;
import io.kedge.agent.proxy.Upstream;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * A UDP Service port: one socket receives every client's datagrams; each client address gets a
 * {@link UdpSession} with its own upstream channel, reclaimed after the idle timeout.
 */
public final class UdpListener extends PortListener {
    /** The largest UDP payload: reads must never truncate a datagram. */
    static final int MAX_DATAGRAM = 65535;

    private volatile UdpSessionTable sessions;

    public UdpListener(ProxyContext context, Route route, PortMetrics metrics) {
        super(context, route, metrics);
    }

    @Override
    protected Channel open(InetSocketAddress address) throws Exception {
        Bootstrap b = new Bootstrap()
                .group(context.transport().group())
                .channel(context.transport().datagramChannelType())
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .handler(new UdpSessionTable(this));
        Channel bound = awaitBound(b.bind(address), address);
        sessions = (UdpSessionTable) bound.pipeline().first();
        return bound;
    }

    @Override
    public void update(Route newRoute) {
        super.update(newRoute);
        UdpSessionTable table = sessions;
        if (table != null) {
            Set<Upstream> current = Set.copyOf(newRoute.upstreams());
            serverChannel().eventLoop().execute(() -> table.dropSessionsNotTo(current));
        }
    }

    /** Sessions alive now. */
    public int sessionCount() {
        UdpSessionTable table = sessions;
        return table == null ? 0 : table.size();
    }
}
