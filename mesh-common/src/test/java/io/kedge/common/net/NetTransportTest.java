package io.kedge.common.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import java.net.InetSocketAddress;
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
}
