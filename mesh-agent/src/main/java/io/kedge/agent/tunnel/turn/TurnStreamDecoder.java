package io.kedge.agent.tunnel.turn;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits the byte stream from a TURN server (TCP or TLS) into STUN messages and ChannelData
 * messages by their own length fields; no extra framing (RFC 8656 section 12.5). A frame is at most
 * 64 KiB + 20 bytes, so no more is ever buffered. A STUN message that does not decode is dropped
 * (its length still delimits it); bytes that start neither kind of message leave no way to find
 * the next frame, so the connection is closed.
 */
final class TurnStreamDecoder extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(TurnStreamDecoder.class);

    /** A ChannelData message: the channel number and its payload (a retained slice the reader releases). */
    record ChannelDataFrame(int channel, ByteBuf payload) {
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 4) {
            return;
        }
        int at = in.readerIndex();
        int first = in.getUnsignedByte(at) >>> 6;
        int length = in.getUnsignedShort(at + 2);
        int frame;
        if (first == 0) {
            frame = StunWire.HEADER_LENGTH + length;
        } else if (first == 1) {
            frame = 4 + StunWire.padded(length);
        } else {
            log.warn("TURN server {} sent bytes that start no STUN or ChannelData message: closing", ctx.channel().remoteAddress());
            in.skipBytes(in.readableBytes());
            ctx.close();
            return;
        }
        if (in.readableBytes() < frame) {
            return;
        }
        if (first == 1) {
            int channel = in.getUnsignedShort(at);
            out.add(new ChannelDataFrame(channel, in.retainedSlice(at + 4, length)));
            in.skipBytes(frame);
            return;
        }
        ByteBuf message = in.readSlice(frame);
        try {
            out.add(StunWire.decode(message));
        } catch (TurnException e) {
            log.debug("dropping a malformed STUN message from {}: {}", ctx.channel().remoteAddress(), e.getMessage());
        }
    }
}
