package io.kedge.agent.proxy.http;

import io.kedge.agent.proxy.PortMetrics;
import io.kedge.agent.proxy.ProxyContext;
import io.kedge.agent.proxy.Route;
import io.kedge.agent.proxy.StreamListener;
import io.kedge.agent.proxy.Upstream;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An HTTP/1.1 Service port: requests are decoded and each is balanced on its own, over keep-alive
 * upstream connections pooled per event loop.
 */
public final class HttpListener extends StreamListener {
    static final String CODEC = "http-server";
    static final String EXCHANGE = "exchange";
    /** Body pieces are passed on in slices of at most this size. */
    private static final int MAX_CHUNK = 64 * 1024;

    private final Map<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();
    private final HttpDecoderConfig decoderConfig;

    public HttpListener(ProxyContext context, Route route, PortMetrics metrics) {
        super(context, route, metrics);
        this.decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(context.config().httpMaxInitialLine())
                .setMaxHeaderSize(context.config().httpMaxHeaderSize())
                .setMaxChunkSize(MAX_CHUNK);
    }

    @Override
    protected void initClient(Channel client) {
        // Requests are handled one at a time: pipelined ones wait in the exchange handler, in order.
        client.pipeline().addLast(CODEC, new HttpServerCodec(decoderConfig))
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
