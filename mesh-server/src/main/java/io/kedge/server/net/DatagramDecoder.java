package io.kedge.server.net;

import io.kedge.server.metrics.RelayMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;

/** UDP: each datagram is one STUN message or one ChannelData message; anything else is dropped. */
final class DatagramDecoder extends MessageToMessageDecoder<DatagramPacket> {
    private final RelayMetrics metrics;

    DatagramDecoder(RelayMetrics metrics) {
        super(DatagramPacket.class);
        this.metrics = metrics;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, DatagramPacket packet, List<Object> out) {
        Inbound in = FrameClassifier.classify(packet.content(), packet.sender(), packet.recipient(), false);
        if (in == null || in instanceof Inbound.MalformedRequest) {
            metrics.malformed("udp");
        }
        if (in != null) {
            out.add(in);
        }
    }
}
