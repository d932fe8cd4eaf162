package io.kedge.agent.proxy.bench;

import io.kedge.common.net.NetTransport;
import io.kedge.agent.proxy.NettyTransport;
import io.kedge.common.cli.Cli;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.FullHttpRequest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** A minimal, fast HTTP/1.1 server for the proxy benchmark: every request gets a fixed small body. */
@Command(name = "bench-http-backend", mixinStandardHelpOptions = true,
        description = "Serves a fixed 'hello' body over HTTP/1.1 keep-alive (benchmark backend).")
public final class BenchHttpBackend implements Callable<Integer> {
    private static final ByteBuf BODY = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer().writeBytes("hello from the kedge bench backend\n".getBytes(StandardCharsets.US_ASCII)));

    @Option(names = "--listen", required = true, description = "HOST:PORT to serve on")
    String listen;

    @Option(names = "--threads", defaultValue = "1", description = "event loop threads (default: ${DEFAULT-VALUE})")
    int threads;

    public static void main(String[] args) {
        Cli.main(new BenchHttpBackend(), args);
    }

    @Override
    public Integer call() throws Exception {
        int colon = listen.lastIndexOf(':');
        InetSocketAddress address = new InetSocketAddress(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)));
        try (NettyTransport transport = NettyTransport.create(threads, "backend", NetTransport.Type.AUTO)) {
            Channel server = new ServerBootstrap().group(transport.group()).channel(transport.serverChannelType())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                    new SimpleChannelInboundHandler<FullHttpRequest>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                            respond(ctx, req);
                                        }
                                    });
                        }
                    }).bind(address).sync().channel();
            System.out.println("listening " + listen);
            System.out.flush();
            server.closeFuture().sync();
        }
        return 0;
    }

    private static void respond(ChannelHandlerContext ctx, HttpRequest req) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, BODY.duplicate());
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        HttpUtil.setContentLength(r, BODY.readableBytes());
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(r, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(r, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
