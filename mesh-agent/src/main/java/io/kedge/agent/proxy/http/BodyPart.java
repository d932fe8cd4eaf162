package io.kedge.agent.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;

/**
 * A piece of a message body as it came on the wire (chunked framing included), passed on as is.
 * {@link #last} marks the piece that ends the message.
 */
final class BodyPart extends DefaultByteBufHolder {
    /** The end of a message with no (further) body; releasing it is a no-op. */
    static final BodyPart EMPTY_LAST = new BodyPart(Unpooled.EMPTY_BUFFER, true);

    final boolean last;

    BodyPart(ByteBuf bytes, boolean last) {
        super(bytes);
        this.last = last;
    }
}
