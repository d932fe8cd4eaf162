package io.kedge.server.turn;

import io.kedge.server.stun.IntegrityKey;
import io.kedge.server.stun.StunCodec;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.testing.Requests;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** A client link that records what the TURN logic sends, as a client would receive it. */
final class FakeLink implements ClientLink {
    record DataSent(int channel, InetSocketAddress peer, byte[] data) {
    }

    private final FiveTuple tuple;
    final List<StunMessage> messages = new ArrayList<>();
    final List<IntegrityKey> keys = new ArrayList<>();
    final List<DataSent> data = new ArrayList<>();
    boolean open = true;
    boolean writable = true;

    FakeLink(FiveTuple tuple) {
        this.tuple = tuple;
    }

    @Override
    public FiveTuple fiveTuple() {
        return tuple;
    }

    @Override
    public EventExecutor executor() {
        return ImmediateEventExecutor.INSTANCE;
    }

    @Override
    public void sendMessage(StunMessage message, IntegrityKey key) {
        // Through the real encoder and decoder, so integrity can be checked like a client would.
        messages.add(Requests.received(StunCodec.encode(message, key, true)));
        keys.add(key);
    }

    @Override
    public boolean sendData(int channel, InetSocketAddress peer, ByteBuf bytes) {
        try {
            if (!writable) {
                return false;
            }
            data.add(new DataSent(channel, peer, ByteBufUtil.getBytes(bytes)));
            return true;
        } finally {
            bytes.release();
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    StunMessage last() {
        return messages.get(messages.size() - 1);
    }
}
