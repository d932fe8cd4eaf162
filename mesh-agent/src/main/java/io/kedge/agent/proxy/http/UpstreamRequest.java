package io.kedge.agent.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * A request head on its way to an upstream connection. Its writer, in the upstream pipeline, tells
 * the connection's response decoder whether the answer can have a body (not for HEAD) before the
 * bytes go out, on the connection's own event loop, in order with its reads.
 *
 * @param bytes the head, taken over by the write
 * @param head  whether the method is HEAD
 */
record UpstreamRequest(ByteBuf bytes, boolean head) {

    /** Unwraps {@link UpstreamRequest}s for the wire; everything else passes. */
    static final class Writer extends ChannelOutboundHandlerAdapter {
        private final HttpMessageDecoder decoder;

        Writer(HttpMessageDecoder decoder) {
            this.decoder = decoder;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof UpstreamRequest r) {
                decoder.expectResponseTo(r.head());
                ctx.write(r.bytes(), promise);
            } else {
                ctx.write(msg, promise);
            }
        }
    }
}
