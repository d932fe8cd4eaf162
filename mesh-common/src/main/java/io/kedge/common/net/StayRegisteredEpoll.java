package io.kedge.common.net;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Netty's epoll I/O handler with one defect worked around. In Netty 4.2 (4.2.18 to 4.2.20, the latest
 * release) a channel that asks for no events at all (its input ended, reading off, nothing to write:
 * a half-closed connection) has its file descriptor deleted from the epoll set, while its
 * registration still counts it as added; the next request, say for EPOLLOUT once a write meets a
 * full socket buffer, is an EPOLL_CTL_MOD that fails with ENOENT and the channel is closed. A
 * half-closed connection whose other direction then meets backpressure was cut short.
 *
 * <p>Here a registration asked for nothing asks for EPOLLET alone instead: the descriptor stays in the
 * set, no readiness is requested, and the hang-up and error events that the kernel reports whatever
 * is requested arrive once (edge-triggered), not on every wait, which is what Netty's deletion
 * avoids. Every other request passes through unchanged.
 */
final class StayRegisteredEpoll implements IoHandlerFactory {
    private final IoHandlerFactory epoll;

    StayRegisteredEpoll(IoHandlerFactory epoll) {
        this.epoll = epoll;
    }

    @Override
    public IoHandler newHandler(ThreadAwareExecutor ioExecutor) {
        return new Handler(epoll.newHandler(ioExecutor));
    }

    @Override
    public boolean isChangingThreadSupported() {
        return epoll.isChangingThreadSupported();
    }

    /** What a registration submits in place of {@code ops}. */
    private static IoOps replacement(IoOps ops) {
        return ops instanceof EpollIoOps e && e.value() == EpollIoOps.NONE.value() ? EpollIoOps.EPOLLET : ops;
    }

    private record Handler(IoHandler delegate) implements IoHandler {
        @Override
        public void initialize() {
            delegate.initialize();
        }

        @Override
        public int run(IoHandlerContext context) {
            return delegate.run(context);
        }

        @Override
        public void prepareToDestroy() {
            delegate.prepareToDestroy();
        }

        @Override
        public void destroy() {
            delegate.destroy();
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            return new Registration(delegate.register(handle));
        }

        @Override
        public void wakeup() {
            delegate.wakeup();
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return delegate.isCompatible(handleType);
        }
    }

    private record Registration(IoRegistration delegate) implements IoRegistration {
        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            return delegate.submit(replacement(ops));
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            return delegate.cancel();
        }
    }
}
