package io.kedge.agent.proxy.http;

import io.kedge.agent.proxy.PortMetrics;
import io.kedge.agent.proxy.ProxyContext;
import io.kedge.agent.proxy.Route;
import io.kedge.agent.proxy.StreamListener;
import io.kedge.agent.proxy.Upstream;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An HTTP/1.1 Service port: requests are split (not re-encoded; see {@link HttpMessageDecoder}) and
 * each is balanced on its own, over keep-alive upstream connections pooled per event loop.
 */
public final class HttpListener extends StreamListener {
    static final String CODEC = "http-server";
    static final String EXCHANGE = "exchange";

    private final Map<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();

    public HttpListener(ProxyContext context, Route route, PortMetrics metrics) {
        super(context, route, metrics);
    }

    @Override
    protected void initClient(Channel client) {
        // Requests are handled one at a time: pipelined ones wait in the exchange handler, in order.
        client.pipeline().addLast(CODEC, HttpMessageDecoder.forRequests(context.config().httpMaxInitialLine(),
                        context.config().httpMaxHeaderSize()))
                .addLast(EXCHANGE, new HttpExchangeHandler(this));
    }

    @Override
    public void update(Route newRoute) {
        super.update(newRoute);
        Set<Upstream> current = Set.copyOf(newRoute.upstreams());
        pools.values().forEach(pool -> pool.loop().execute(() -> pool.retainOnly(current)));
    }

    /** The upstream pool of {@code loop} (each loop has its own; see {@link UpstreamPool}). */
    UpstreamPool pool(EventLoop loop) {
        return pools.computeIfAbsent(loop, l -> new UpstreamPool(this, l));
    }

    @Override
    protected void closed() {
        // Pooled connections are tracked channels, closed with the listener; the pools go with them.
        pools.clear();
    }
}
