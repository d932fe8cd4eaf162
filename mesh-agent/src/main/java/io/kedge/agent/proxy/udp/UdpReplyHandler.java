package io.kedge.agent.proxy.udp;

import io.kedge.agent.proxy.PortMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;

/**
 * On a session's upstream channel: every datagram from the endpoint goes back to the client from
 * the listening socket (whose address the client's DNAT expects). A direct upstream yields
 * {@link DatagramPacket}s, a tunnel stream plain buffers; each is one datagram either way.
 */
final class UdpReplyHandler extends ChannelInboundHandlerAdapter {
    private final Channel listening;
    private final InetSocketAddress client;
    private final PortMetrics metrics;

    UdpReplyHandler(Channel listening, InetSocketAddress client, PortMetrics metrics) {
        this.listening = listening;
        this.client = client;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf datagram;
        if (msg instanceof DatagramPacket packet) {
            datagram = packet.content();
        } else if (msg instanceof ByteBuf buf) {
            datagram = buf;
        } else {
            ReferenceCountUtil.release(msg);
            return;
        }
        metrics.bytesDownstream.inc(datagram.readableBytes());
        listening.write(new DatagramPacket(datagram, client), listening.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        listening.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // E.g. ICMP port unreachable on a connected socket: end the session so the next datagram
        // chooses an endpoint again.
        ctx.close();
    }
}
