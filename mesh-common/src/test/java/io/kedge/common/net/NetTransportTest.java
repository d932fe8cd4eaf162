package io.kedge.common.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NetTransportTest {
    @Test
    void nioIsNeverEpollAndAutoFollowsAvailability() {
        assertThat(NetTransport.nio().isEpoll()).isFalse();
        assertThat(NetTransport.of(NetTransport.Type.NIO).toString()).isEqualTo("nio");
        assertThat(NetTransport.best().isEpoll()).isEqualTo(Epoll.isAvailable());
    }

    @Test
    void groupAndChannelTypesOfEachTransportWorkTogether() throws Exception {
        for (NetTransport t : new NetTransport[] {NetTransport.nio(), NetTransport.best()}) {
            EventLoopGroup group = t.newGroup(1, "test-" + t);
            try {
                Channel server = new ServerBootstrap().group(group).channelFactory(t.server())
                        .childHandler(new ChannelInboundHandlerAdapter()).bind("127.0.0.1", 0).sync().channel();
                int port = ((InetSocketAddress) server.localAddress()).getPort();
                Channel client = new Bootstrap().group(group).channel(t.socketChannelType())
                        .handler(new ChannelInboundHandlerAdapter()).connect("127.0.0.1", port).sync().channel();
                assertThat(client.isActive()).isTrue();
                Channel udp = new Bootstrap().group(group).channelFactory(t.datagram())
                        .handler(new ChannelInboundHandlerAdapter()).bind("127.0.0.1", 0).sync().channel();
                assertThat(udp.getClass()).isEqualTo(t.datagramChannelType());
                client.close().sync();
                udp.close().sync();
                server.close().sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }

    @Test
    void aLoopTellsWhichTransportItRuns() throws Exception {
        for (NetTransport t : new NetTransport[] {NetTransport.nio(), NetTransport.best()}) {
            EventLoopGroup group = t.newGroup(1, "test-" + t);
            try {
                assertThat(NetTransport.of(group.next()).isEpoll()).isEqualTo(t.isEpoll());
                assertThat(NetTransport.runsSockets(group.next())).isTrue();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
        DefaultEventLoop plain = new DefaultEventLoop(); // runs no channel I/O of its own
        try {
            assertThat(NetTransport.of(plain).isEpoll()).isFalse();
            assertThat(NetTransport.runsSockets(plain)).isFalse();
        } finally {
            plain.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * A half-closed connection (input ended, reading off, nothing to write: no epoll events wanted)
     * that then writes more than the socket takes (EPOLLOUT wanted) delivers everything. Netty 4.2's
     * epoll handler alone closed it there ({@link StayRegisteredEpoll}).
     */
    @Test
    void aHalfClosedConnectionThatMeetsBackpressureDeliversEverything() throws Exception {
        int total = 8 << 20;
        for (NetTransport t : new NetTransport[] {NetTransport.nio(), NetTransport.best()}) {
            EventLoopGroup group = t.newGroup(1, "test-" + t);
            try {
                Channel server = new ServerBootstrap().group(group).channelFactory(t.server())
                        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true).childOption(ChannelOption.AUTO_READ, false)
                        .childHandler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                ctx.read();
                            }

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ReferenceCountUtil.release(msg);
                                ctx.read(); // until the input ends; no read after that
                            }

                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof ChannelInputShutdownEvent) {
                                    // Later, once the channel has asked for nothing: the answer, far more than a socket buffer.
                                    ctx.executor().schedule(() -> {
                                        ByteBuf body = ctx.alloc().buffer(total).writeZero(total);
                                        ctx.writeAndFlush(body).addListener(ChannelFutureListener.CLOSE);
                                    }, 200, TimeUnit.MILLISECONDS);
                                }
                            }
                        }).bind("127.0.0.1", 0).sync().channel();
                int port = ((InetSocketAddress) server.localAddress()).getPort();
                long received = 0;
                try (Socket client = new Socket("127.0.0.1", port)) {
                    client.setSoTimeout(10_000);
                    client.getOutputStream().write("request".getBytes(StandardCharsets.US_ASCII));
                    client.shutdownOutput();
                    Thread.sleep(500); // the server's writes fill the socket buffers first
                    InputStream in = client.getInputStream();
                    byte[] buf = new byte[65536];
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        received += n;
                    }
                } catch (IOException e) {
                    throw new AssertionError(t + ": connection failed after " + received + " bytes", e);
                }
                assertThat(received).as(t.toString()).isEqualTo(total);
                server.close().sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }
}
