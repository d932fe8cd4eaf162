package io.kedge.agent.proxy;

import io.kedge.agent.proxy.tcp.RelayHandler;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import java.net.InetSocketAddress;

/**
 * A listener for a TCP Service port: accepts client connections (reading off until an upstream is
 * ready) and gives each an idle timeout, then the pipeline {@link #initClient} adds.
 */
public abstract class StreamListener extends PortListener {

    protected StreamListener(ProxyContext context, Route route, PortMetrics metrics) {
        super(context, route, metrics);
    }

    @Override
    protected Channel open(InetSocketAddress address) throws Exception {
        ProxyConfig config = context.config();
        ServerBootstrap b = new ServerBootstrap()
                .group(context.transport().group())
                .channel(context.transport().serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, RelayHandler.OUTBOUND_WATER_MARK)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        track(ch);
                        metrics.connections.inc();
                        metrics.activeConnections.inc();
                        ch.closeFuture().addListener(f -> metrics.activeConnections.dec());
                        ChannelPipeline p = ch.pipeline();
                        p.addLast("idle", new IdleTimeoutHandler(config.tcpIdleTimeout()));
                        p.addLast("idle-close", IdleCloseHandler.INSTANCE);
                        initClient(ch);
                    }
                });
        Channel bound = awaitBound(b.bind(address), address);
        return bound;
    }

    /** Adds the protocol's handlers to an accepted client channel. */
    protected abstract void initClient(Channel client);
}
