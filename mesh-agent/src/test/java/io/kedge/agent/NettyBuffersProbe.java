package io.kedge.agent;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * Run in a JVM of its own by NettyBuffersTest: applies the agent's settings the way mesh-agent's
 * main does, before any Netty buffer class loads, allocates a buffer, and prints what Netty's default
 * allocator became.
 */
public final class NettyBuffersProbe {
    private NettyBuffersProbe() {
    }

    public static void main(String[] args) {
        NettyBuffers.useAgentDefaults();
        ByteBufAllocator allocator = ByteBufAllocator.DEFAULT;
        allocator.directBuffer(1024).release(); // the first pooled chunk
        if (allocator instanceof PooledByteBufAllocator pooled) {
            System.out.println("pooled directArenas=" + pooled.metric().numDirectArenas() + " heapArenas="
                    + pooled.metric().numHeapArenas() + " chunkSize=" + pooled.metric().chunkSize());
        } else {
            System.out.println("other " + allocator.getClass().getName());
        }
    }
}
