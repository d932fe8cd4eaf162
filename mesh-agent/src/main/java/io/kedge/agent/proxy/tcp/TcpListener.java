package io.kedge.agent.proxy.tcp;

import io.kedge.agent.proxy.PortMetrics;
import io.kedge.agent.proxy.ProxyContext;
import io.kedge.agent.proxy.Route;
import io.kedge.agent.proxy.StreamListener;
import io.netty.channel.Channel;

/** A plain TCP Service port: every client connection is piped to one endpoint. */
public final class TcpListener extends StreamListener {
    public TcpListener(ProxyContext context, Route route, PortMetrics metrics) {
        super(context, route, metrics);
    }

    @Override
    protected void initClient(Channel client) {
        client.pipeline().addLast("connect", new TcpConnectHandler(this));
    }
}
