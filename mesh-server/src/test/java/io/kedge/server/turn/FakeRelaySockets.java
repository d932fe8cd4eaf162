package io.kedge.server.turn;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/** Relay sockets that exist only in memory: sends are recorded, peer datagrams injected by the test. */
final class FakeRelaySockets implements RelaySocketFactory {
    final List<Socket> opened = new ArrayList<>();
    private final InetAddress address;
    private int nextPort = 50000;
    boolean fail;

    FakeRelaySockets(InetAddress address) {
        this.address = address;
    }

    record Sent(InetSocketAddress peer, byte[] data) {
    }

    final class Socket implements RelaySocket {
        final InetSocketAddress local;
        final List<Sent> sent = new ArrayList<>();
        PeerDataSink sink;
        boolean closed;

        Socket(InetSocketAddress local) {
            this.local = local;
        }

        @Override
        public InetSocketAddress localAddress() {
            return local;
        }

        @Override
        public void send(InetSocketAddress peer, ByteBuf data) {
            try {
                sent.add(new Sent(peer, ByteBufUtil.getBytes(data)));
            } finally {
                data.release();
            }
        }

        @Override
        public void receiveInto(PeerDataSink sink) {
            this.sink = sink;
        }

        @Override
        public void close() {
            closed = true;
        }

        /** A datagram from {@code peer} arrives at this relayed address. */
        void fromPeer(InetSocketAddress peer, byte[] data) {
            if (sink != null && !closed) {
                sink.onPeerData(peer, Unpooled.wrappedBuffer(data));
            }
        }
    }

    @Override
    public void open(EventExecutor executor, boolean evenPort, BiConsumer<RelaySocket, Throwable> done) {
        if (fail) {
            done.accept(null, new java.io.IOException("no port"));
            return;
        }
        if (evenPort && (nextPort & 1) != 0) {
            nextPort++;
        }
        Socket s = new Socket(new InetSocketAddress(address, nextPort++));
        opened.add(s);
        done.accept(s, null);
    }
}
