package io.kedge.agent.tunnel;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicCodecBuilder;
import io.netty.handler.codec.quic.QuicConnectionStats;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ceiling of any QUIC tunnel in this JVM on this machine: one QUIC stream between a client and
 * a server codec (the tunnel's TLS contexts and transport settings) over loopback, nothing else on
 * the path (no ICE, no bridge, no proxy). bench/tunnel/quic-ceiling.sh runs it next to iperf3 over
 * loopback.
 *
 * <p>Arguments: MEBIBYTES [PAYLOAD]. Prints one line: {@code QUIC <Mbit/s> Mbit/s ...}.
 */
public final class QuicCeilingBench {
    private QuicCeilingBench() {
    }

    public static void main(String[] args) throws Exception {
        long total = Long.parseLong(args[0]) << 20;
        int payload = args.length > 1 ? Integer.parseInt(args[1]) : 1350;
        TunnelCertificate serverCert = new TunnelCertificate("server");
        QuicTls serverTls = new QuicTls(serverCert, "kedge-tunnel/1");
        TunnelCertificate clientCert = new TunnelCertificate("client");
        QuicTls clientTls = new QuicTls(clientCert, "kedge-tunnel/1");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try {
            AtomicLong received = new AtomicLong();
            CompletableFuture<Long> done = new CompletableFuture<>();
            String serverPin = serverTls.expect(clientCert.fingerprint());
            ChannelHandler server = settings(new QuicServerCodecBuilder(), payload).sslEngineProvider(q -> serverTls.serverEngine(q, serverPin))
                    .tokenHandler(InsecureQuicTokenHandler.INSTANCE).handler(new ChannelInboundHandlerAdapter())
                    .streamHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf data = (ByteBuf) msg;
                            long n = received.addAndGet(data.readableBytes());
                            data.release();
                            if (n >= total) {
                                done.complete(System.nanoTime());
                            }
                        }
                    }).build();
            Channel serverChannel = bind(group, server);
            String clientPin = clientTls.expect(serverCert.fingerprint());
            Channel clientChannel = bind(group, settings(new QuicClientCodecBuilder(), payload)
                    .sslEngineProvider(q -> clientTls.clientEngine(q, clientPin)).build());
            QuicChannel quic = QuicChannel.newBootstrap(clientChannel).handler(new ChannelInboundHandlerAdapter())
                    .remoteAddress(serverChannel.localAddress()).connect().get(10, TimeUnit.SECONDS);
            QuicStreamChannel stream = quic.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInboundHandlerAdapter()).get(10, TimeUnit.SECONDS);
            ByteBuf chunk = Unpooled.directBuffer(65536).writeZero(65536);
            long[] sent = {0};
            Runnable pump = () -> {
                while (stream.isWritable() && sent[0] < total) {
                    stream.write(chunk.retainedDuplicate());
                    sent[0] += chunk.readableBytes();
                }
                stream.flush();
            };
            stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                    if (ctx.channel().isWritable()) {
                        pump.run();
                    }
                }
            });
            long start = System.nanoTime();
            stream.eventLoop().execute(pump);
            long end = done.get(300, TimeUnit.SECONDS);
            double seconds = (end - start) / 1e9;
            QuicConnectionStats stats = quic.collectStats().get(5, TimeUnit.SECONDS);
            System.out.printf("QUIC %.0f Mbit/s (%d MiB in %.2f s, %d-byte datagrams; packets sent %d, lost %d)%n",
                    total * 8 / seconds / 1e6, total >> 20, seconds, payload, stats.sent(), stats.lost());
            quic.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** The tunnel's transport settings (TunnelService.transportSettings) at the given datagram size. */
    private static <B extends QuicCodecBuilder<B>> B settings(B builder, int payload) {
        return builder.maxIdleTimeout(30, TimeUnit.SECONDS).initialMaxData(16L * 1024 * 1024)
                .initialMaxStreamDataBidirectionalLocal(2L * 1024 * 1024).initialMaxStreamDataBidirectionalRemote(2L * 1024 * 1024)
                .initialMaxStreamsBidirectional(100).initialMaxStreamsUnidirectional(0)
                .maxRecvUdpPayloadSize(payload).maxSendUdpPayloadSize(payload);
    }

    private static Channel bind(EventLoopGroup group, ChannelHandler codec) throws InterruptedException {
        return new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }
}
