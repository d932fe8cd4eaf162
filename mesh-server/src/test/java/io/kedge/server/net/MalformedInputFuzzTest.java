package io.kedge.server.net;

import static io.kedge.server.testing.Net.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.server.auth.LongTermAuthenticator;
import io.kedge.server.auth.Nonces;
import io.kedge.server.auth.StaticUsers;
import io.kedge.server.binding.BindingService;
import io.kedge.server.binding.StunEndpoints;
import io.kedge.server.metrics.RelayMetrics;
import io.kedge.server.policy.OwnAddresses;
import io.kedge.server.policy.PeerPolicy;
import io.kedge.server.policy.RegisteredPeers;
import io.kedge.server.quota.Quotas;
import io.kedge.server.stun.AttributeType;
import io.kedge.server.stun.IntegrityKey;
import io.kedge.server.stun.StunClass;
import io.kedge.server.stun.StunCodec;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.stun.StunMethod;
import io.kedge.server.stun.StunParseException;
import io.kedge.server.turn.ClientTransport;
import io.kedge.server.turn.TurnService;
import io.kedge.server.turn.TurnSettings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Thousands of random, truncated and bit-flipped messages through the codec and through the real
 * UDP and TCP pipelines (decoders, TURN logic, encoders): nothing escapes as an exception, nothing
 * leaks, and well-formed requests still get answers afterwards.
 */
class MalformedInputFuzzTest {
    static final InetSocketAddress CLIENT = new InetSocketAddress(ip("192.0.2.10"), 40000);
    static final InetSocketAddress LOCAL = new InetSocketAddress(ip("203.0.113.11"), 3478);
    static final int ROUNDS = 5000;


    final RelayMetrics metrics = new RelayMetrics(new PrometheusRegistry());
    final TurnService turn = new TurnService(
            new TurnSettings(Duration.ofSeconds(600), Duration.ofSeconds(3600), Duration.ofSeconds(300), Duration.ofSeconds(600), 8, 8,
                    LOCAL.getAddress(), "fuzz"),
            new LongTermAuthenticator("fuzz", new StaticUsers(Map.of("u", "p")), new Nonces(Duration.ofMinutes(10)), Clock.systemUTC()),
            new PeerPolicy(List.of(LOCAL.getAddress()), OwnAddresses.fixed(List.of(), List.of()), List.of(), List.of(), RegisteredPeers.NONE),
            new Quotas(10, 100, 0, 0),
            (executor, even, done) -> done.accept(null, new java.io.IOException("no relay sockets in this test")),
            metrics, System::nanoTime);
    final BindingService binding = new BindingService(new StunEndpoints(LOCAL.getAddress(), 3478, null, 3479), "fuzz");

    /** Valid messages of every kind the server handles, as seeds for mutation. */
    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        IntegrityKey key = new IntegrityKey(StunCodec.longTermKey("u", "fuzz", "p"), false);
        seeds.add(StunCodec.encode(StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST).build(), null, true));
        seeds.add(StunCodec.encode(StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST).u32(AttributeType.CHANGE_REQUEST, 6).build()));
        seeds.add(StunCodec.encode(StunMessage.builder(StunMethod.ALLOCATE, StunClass.REQUEST)
                .u32(AttributeType.REQUESTED_TRANSPORT, 17L << 24).string(AttributeType.USERNAME, "u").string(AttributeType.REALM, "fuzz")
                .string(AttributeType.NONCE, "0-0").build(), key, true));
        seeds.add(StunCodec.encode(StunMessage.builder(StunMethod.CREATE_PERMISSION, StunClass.REQUEST)
                .xorAddress(AttributeType.XOR_PEER_ADDRESS, CLIENT).string(AttributeType.USERNAME, "u").build(), key, false));
        seeds.add(StunCodec.encode(StunMessage.builder(StunMethod.CHANNEL_BIND, StunClass.REQUEST)
                .attribute(AttributeType.CHANNEL_NUMBER, new byte[] {0x40, 0, 0, 0}).xorAddress(AttributeType.XOR_PEER_ADDRESS,
                        new InetSocketAddress(ip("2001:db8::1"), 9)).build(), null, true));
        seeds.add(StunCodec.encode(StunMessage.builder(StunMethod.SEND, StunClass.INDICATION)
                .xorAddress(AttributeType.XOR_PEER_ADDRESS, CLIENT).attribute(AttributeType.DATA, new byte[33]).build()));
        seeds.add(new byte[] {0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0});
        return seeds;
    }

    static byte[] mutate(Random r, List<byte[]> seeds) {
        byte[] seed = seeds.get(r.nextInt(seeds.size())).clone();
        switch (r.nextInt(5)) {
            case 0 -> {
                byte[] junk = new byte[r.nextInt(200)];
                r.nextBytes(junk);
                return junk;
            }
            case 1 -> {
                return java.util.Arrays.copyOf(seed, r.nextInt(seed.length + 1));
            }
            case 2 -> {
                for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
                    seed[r.nextInt(seed.length)] ^= (byte) (1 << r.nextInt(8));
                }
                return seed;
            }
            case 3 -> {
                // Lengths lie: a header or attribute length field set to something random.
                int at = seed.length > 22 && r.nextBoolean() ? 22 : 2;
                seed[at] = (byte) r.nextInt(256);
                seed[at + 1] = (byte) r.nextInt(256);
                return seed;
            }
            default -> {
                byte[] longer = java.util.Arrays.copyOf(seed, seed.length + r.nextInt(64));
                for (int i = seed.length; i < longer.length; i++) {
                    longer[i] = (byte) r.nextInt(256);
                }
                return longer;
            }
        }
    }

    @Test
    void theCodecOnlyEverThrowsItsParseException() {
        Random r = new Random(1);
        List<byte[]> seeds = seeds();
        int decoded = 0;
        for (int i = 0; i < ROUNDS * 4; i++) {
            byte[] input = mutate(r, seeds);
            try {
                StunMessage m = StunCodec.decode(input, 0, input.length);
                decoded++;
                exercise(m);
            } catch (StunParseException expected) {
                // The only failure allowed.
            }
        }
        assertThat(decoded).as("some mutations are still valid messages").isPositive();
    }

    private static void exercise(StunMessage m) {
        for (int type : new int[] {AttributeType.XOR_PEER_ADDRESS, AttributeType.XOR_MAPPED_ADDRESS, AttributeType.XOR_RELAYED_ADDRESS}) {
            try {
                m.xorAddresses(type);
            } catch (StunParseException expected) {
                // fine
            }
        }
        for (int type : new int[] {AttributeType.LIFETIME, AttributeType.CHANGE_REQUEST, AttributeType.REQUESTED_TRANSPORT}) {
            try {
                m.u32(type);
            } catch (StunParseException expected) {
                // fine
            }
        }
        try {
            m.errorCode();
            m.address(AttributeType.OTHER_ADDRESS);
        } catch (StunParseException expected) {
            // fine
        }
        m.string(AttributeType.USERNAME);
        m.verifyIntegrity(new byte[16]);
        m.unknownComprehensionRequired();
    }

    @Test
    void theUdpPipelineSurvivesAndStillAnswers() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new DatagramDecoder(metrics), new OutboundEncoder(false),
                new ClientHandler(ClientTransport.UDP, turn, binding, new UdpSockets(), metrics, "fuzz", new AtomicInteger(), 10));
        Random r = new Random(2);
        List<byte[]> seeds = seeds();
        List<ByteBuf> inputs = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            ByteBuf content = Unpooled.wrappedBuffer(mutate(r, seeds));
            if (content.capacity() > 0) {
                inputs.add(content); // the shared empty buffer is never freed, by design
            }
            ch.writeInbound(new DatagramPacket(content, LOCAL, CLIENT)); // rethrows anything a handler let escape
            drainOutbound(ch);
        }
        assertThat(inputs).allSatisfy(b -> assertThat(b.refCnt()).as("every datagram released").isZero());
        ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(seeds.get(0)), LOCAL, CLIENT));
        DatagramPacket answer = ch.readOutbound();
        try {
            StunMessage m = StunCodec.decode(answer.content());
            assertThat(m.is(StunMethod.BINDING, StunClass.SUCCESS)).isTrue();
            assertThat(m.xorAddress(AttributeType.XOR_MAPPED_ADDRESS)).isEqualTo(CLIENT);
        } finally {
            answer.release();
        }
        assertThat(ch.finish()).as("nothing left over").isFalse();
    }

    @Test
    void theStreamPipelineSurvivesSplitsAndClosesOnGarbage() throws Exception {
        Random r = new Random(3);
        List<byte[]> seeds = seeds();
        int closed = 0;
        for (int i = 0; i < ROUNDS / 5; i++) {
            EmbeddedChannel ch = streamChannel();
            // A valid request first, delivered in random slices: it must be answered.
            feedInSlices(ch, r, seeds.get(0));
            assertThat(drainOutbound(ch)).as("answer to a request split into pieces").isEqualTo(1);
            for (int j = 0; j < 10 && ch.isOpen(); j++) {
                feedInSlices(ch, r, mutate(r, seeds));
                drainOutbound(ch);
            }
            if (!ch.isOpen()) {
                closed++;
            }
            ch.finishAndReleaseAll();
        }
        assertThat(closed).as("garbage closes connections").isPositive();
    }

    @Test
    void aHugeClaimedLengthBuffersAtMostOneFrame() {
        EmbeddedChannel ch = streamChannel();
        // Claims 65535 bytes of ChannelData, then trickles: the decoder waits for at most that much.
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x40, 0x00, (byte) 0xFF, (byte) 0xFF}));
        for (int i = 0; i < 100; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[1000]));
        }
        assertThat(ch.isOpen()).isTrue();
        assertThat(metrics.drops(RelayMetrics.Drop.NO_ALLOCATION)).as("the one complete frame was processed").isEqualTo(1);
        ch.finishAndReleaseAll();
    }

    private EmbeddedChannel streamChannel() {
        return new EmbeddedChannel(new StreamFrameDecoder(metrics, "tcp"), new OutboundEncoder(true),
                new ClientHandler(ClientTransport.TCP, turn, binding, new UdpSockets(), metrics, "fuzz", new AtomicInteger(), 1_000_000)) {
            @Override
            protected SocketAddress remoteAddress0() {
                return CLIENT;
            }

            @Override
            protected SocketAddress localAddress0() {
                return LOCAL;
            }
        };
    }

    private static void feedInSlices(EmbeddedChannel ch, Random r, byte[] bytes) {
        int at = 0;
        while (at < bytes.length && ch.isOpen()) {
            int n = 1 + r.nextInt(bytes.length - at);
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, at, n));
            at += n;
        }
    }

    private static int drainOutbound(EmbeddedChannel ch) {
        int n = 0;
        Object o;
        while ((o = ch.readOutbound()) != null) {
            io.netty.util.ReferenceCountUtil.release(o);
            n++;
        }
        return n;
    }
}
