package io.kedge.server.stun;

import io.netty.buffer.ByteBuf;

/**
 * The ChannelData framing of TURN (RFC 8656 section 12.4): a 2-byte channel number,
 * a 2-byte length and the application data; over TCP and TLS padded to a multiple of four bytes.
 * STUN messages start with the bits 00, ChannelData with 01; nothing valid starts with 10 or 11.
 */
public final class ChannelData {
    public static final int HEADER_LENGTH = 4;
    public static final int MIN_CHANNEL = 0x4000;
    /**
     * RFC 8656 narrowed channels to 0x4000-0x4FFF; RFC 5766 allowed up to 0x7FFF and clients in the
     * field (coturn's own among them) still pick numbers there, so they are accepted.
     */
    public static final int MAX_CHANNEL = 0x7FFF;

    private ChannelData() {
    }

    /** Whether a message whose first byte is {@code firstByte} is ChannelData (0b01 prefix). */
    public static boolean isChannelData(int firstByte) {
        return (firstByte & 0xC0) == 0x40;
    }

    public static boolean validChannel(long number) {
        return number >= MIN_CHANNEL && number <= MAX_CHANNEL;
    }

    /** Padding after {@code dataLength} bytes of data over a stream transport. */
    public static int streamPadding(int dataLength) {
        return (4 - (dataLength & 3)) & 3;
    }

    /** Writes the 4-byte header for {@code dataLength} bytes on {@code channel}. */
    public static void writeHeader(ByteBuf out, int channel, int dataLength) {
        out.writeShort(channel);
        out.writeShort(dataLength);
    }

    /**
     * Length of the frame (STUN message or ChannelData, including stream padding) that starts at
     * {@code buf}'s reader index, or -1 when fewer than four bytes are there to tell.
     *
     * @throws StunParseException when the bytes can start neither kind of message
     */
    public static int streamFrameLength(ByteBuf buf) throws StunParseException {
        if (buf.readableBytes() < 4) {
            return -1;
        }
        int i = buf.readerIndex();
        int first = buf.getUnsignedByte(i);
        int length = buf.getUnsignedShort(i + 2);
        if ((first & 0xC0) == 0) {
            if ((length & 3) != 0) {
                throw new StunParseException("STUN length " + length + " is not a multiple of 4");
            }
            return StunMessage.HEADER_LENGTH + length;
        }
        if (isChannelData(first)) {
            return HEADER_LENGTH + length + streamPadding(length);
        }
        throw new StunParseException(String.format("first byte 0x%02x starts neither STUN nor ChannelData", first));
    }
}
