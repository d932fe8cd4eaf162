package io.kedge.server.net;

import io.kedge.server.stun.ChannelData;
import io.kedge.server.stun.StunClass;
import io.kedge.server.stun.StunCodec;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.stun.StunParseException;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/** Turns the bytes of one datagram or stream frame into an {@link Inbound}, or null to drop it. */
final class FrameClassifier {
    private FrameClassifier() {
    }

    /**
     * Classifies {@code frame} (its readable bytes are exactly one message; for streams, padding
     * included). Does not consume or release {@code frame}.
     */
    static Inbound classify(ByteBuf frame, InetSocketAddress sender, InetSocketAddress recipient, boolean stream) {
        int length = frame.readableBytes();
        if (length < ChannelData.HEADER_LENGTH) {
            return null;
        }
        int start = frame.readerIndex();
        int first = frame.getUnsignedByte(start);
        if (ChannelData.isChannelData(first)) {
            int channel = frame.getUnsignedShort(start);
            int dataLength = frame.getUnsignedShort(start + 2);
            // Over UDP the datagram may carry trailing padding; it must not be shorter than it claims.
            int needed = ChannelData.HEADER_LENGTH + dataLength + (stream ? ChannelData.streamPadding(dataLength) : 0);
            if (length < needed || (stream && length != needed)) {
                return null;
            }
            return new Inbound.ChannelDataFrame(channel, frame.retainedSlice(start + ChannelData.HEADER_LENGTH, dataLength),
                    sender, recipient);
        }
        if ((first & 0xC0) != 0) {
            return null;
        }
        try {
            return new Inbound.Stun(StunCodec.decode(frame), sender, recipient);
        } catch (StunParseException e) {
            return soundRequestHeader(frame) ? new Inbound.MalformedRequest(method(frame), transactionId(frame), e.getMessage(),
                    sender, recipient) : null;
        }
    }

    /** A request header with the magic cookie and a length that matches the frame. */
    private static boolean soundRequestHeader(ByteBuf frame) {
        if (frame.readableBytes() < StunMessage.HEADER_LENGTH || !StunCodec.looksLikeStun(frame)) {
            return false;
        }
        return StunCodec.classOf(frame.getUnsignedShort(frame.readerIndex())) == StunClass.REQUEST
                && frame.getUnsignedShort(frame.readerIndex() + 2) + StunMessage.HEADER_LENGTH == frame.readableBytes();
    }

    private static int method(ByteBuf frame) {
        return StunCodec.methodOf(frame.getUnsignedShort(frame.readerIndex()));
    }

    private static byte[] transactionId(ByteBuf frame) {
        byte[] id = new byte[StunMessage.TRANSACTION_ID_LENGTH];
        frame.getBytes(frame.readerIndex() + 8, id);
        return id;
    }
}
