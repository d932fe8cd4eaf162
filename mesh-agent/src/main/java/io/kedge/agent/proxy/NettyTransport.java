package io.kedge.agent.proxy;

import io.kedge.common.net.NetTransport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's one event loop group and its channel types (chosen by {@link NetTransport}). Every
 * listener and upstream channel of the proxy shares it, so the thread count is fixed however many
 * Services there are.
 *
 * <p>Epoll where it loads ({@link NetTransport.Type#AUTO}), NIO elsewhere: with NIO the HTTP proxy's
 * p99 moved from run to run between about 1.8 and 4.4 ms, with epoll it stayed between 1.7 and 2.0 ms,
 * below HAProxy's in 29 runs out of 30 (bench/proxy/results/2026-11-24-s16-epoll-ab.md). Netty
 * 4.2's epoll handler closed half-closed connections that then met backpressure; NetTransport's
 * groups work around that ({@code StayRegisteredEpoll}).
 */
public final class NettyTransport implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NettyTransport.class);
    private final NetTransport transport;
    private final EventLoopGroup group;

    private NettyTransport(NetTransport transport, EventLoopGroup group) {
        this.transport = transport;
        this.group = group;
    }

    /**
     * @param threads event loop threads; 0 means Netty's default (two per core)
     * @param name    thread name prefix
     */
    public static NettyTransport create(int threads, String name, NetTransport.Type type) {
        return create(threads, name, type, CpuAffinity.NONE);
    }

    /**
     * @param threads  event loop threads; 0 means Netty's default (two per core)
     * @param name     thread name prefix
     * @param affinity where the threads may run; when the CPUs cannot be read or set the threads run
     *                 unpinned (logged), since pinning only steadies latency
     */
    public static NettyTransport create(int threads, String name, NetTransport.Type type, CpuAffinity affinity) {
        NetTransport transport = NetTransport.of(type);
        ThreadFactory factory = new DefaultThreadFactory(name, true);
        if (affinity == CpuAffinity.SPREAD) {
            try {
                int[] cpus = ThreadCpus.allowed();
                if (cpus.length > 1) {
                    factory = new SpreadThreadFactory(name, cpus);
                } else {
                    log.info("{} event loops not pinned: the process may use only CPU(s) {}", name, Arrays.toString(cpus));
                }
            } catch (IOException e) {
                log.warn("{} event loops not pinned: {}", name, e.getMessage());
            }
        }
        return new NettyTransport(transport, transport.newGroup(threads, factory));
    }

    /** Makes daemon threads that each pin themselves, as they start, to the next of {@code cpus}. */
    private static final class SpreadThreadFactory extends DefaultThreadFactory {
        private final int[] cpus;
        private final AtomicInteger next = new AtomicInteger();

        SpreadThreadFactory(String name, int[] cpus) {
            super(name, true);
            this.cpus = cpus.clone();
        }

        @Override
        protected Thread newThread(Runnable r, String name) {
            int cpu = cpus[Math.floorMod(next.getAndIncrement(), cpus.length)];
            return super.newThread(() -> {
                try {
                    ThreadCpus.pinCallingThread(cpu);
                    log.info("event loop {} pinned to CPU {}", name, cpu);
                } catch (IOException e) {
                    log.warn("event loop {} not pinned: {}", name, e.getMessage());
                }
                r.run();
            }, name);
        }
    }

    public EventLoopGroup group() {
        return group;
    }

    public boolean epoll() {
        return transport.isEpoll();
    }

    public Class<? extends ServerChannel> serverChannelType() {
        return transport.serverChannelType();
    }

    public Class<? extends SocketChannel> socketChannelType() {
        return transport.socketChannelType();
    }

    public Class<? extends DatagramChannel> datagramChannelType() {
        return transport.datagramChannelType();
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
