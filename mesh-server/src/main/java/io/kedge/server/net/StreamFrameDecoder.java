package io.kedge.server.net;

import io.kedge.server.metrics.RelayMetrics;
import io.kedge.server.stun.ChannelData;
import io.kedge.server.stun.StunParseException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TCP and TLS: splits the byte stream into STUN messages and (padded) ChannelData messages by
 * their length fields. A frame is at most 64 KiB + 20 bytes, so a connection never buffers more
 * than that. Bytes that can start neither kind of message leave no way to find the next frame:
 * the connection is closed.
 */
final class StreamFrameDecoder extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(StreamFrameDecoder.class);

    private final RelayMetrics metrics;
    private final String transport;

    StreamFrameDecoder(RelayMetrics metrics, String transport) {
        this.metrics = metrics;
        this.transport = transport;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int length;
        try {
            length = ChannelData.streamFrameLength(in);
        } catch (StunParseException e) {
            metrics.malformed(transport);
            log.debug("closing {} connection from {}: {}", transport, ctx.channel().remoteAddress(), e.getMessage());
            in.skipBytes(in.readableBytes());
            ctx.close();
            return;
        }
        if (length < 0 || in.readableBytes() < length) {
            return;
        }
        ByteBuf frame = in.readSlice(length);
        Inbound message = FrameClassifier.classify(frame, (InetSocketAddress) ctx.channel().remoteAddress(),
                (InetSocketAddress) ctx.channel().localAddress(), true);
        if (message == null || message instanceof Inbound.MalformedRequest) {
            metrics.malformed(transport);
        }
        if (message != null) {
            out.add(message);
        }
    }
}
