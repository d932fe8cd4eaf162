package io.kedge.server.turn;

import static io.kedge.server.testing.Net.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.server.auth.LongTermAuthenticator;
import io.kedge.server.auth.Nonces;
import io.kedge.server.auth.StaticUsers;
import io.kedge.server.metrics.RelayMetrics;
import io.kedge.server.policy.Cidr;
import io.kedge.server.policy.OwnAddresses;
import io.kedge.server.policy.PeerPolicy;
import io.kedge.server.policy.RegisteredPeers;
import io.kedge.server.quota.Quotas;
import io.kedge.server.stun.AttributeType;
import io.kedge.server.stun.ErrorCode;
import io.kedge.server.stun.StunClass;
import io.kedge.server.stun.StunCodec;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.stun.StunMethod;
import io.kedge.server.testing.MutableClock;
import io.kedge.server.testing.Requests;
import io.netty.buffer.Unpooled;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The TURN logic against in-memory links and relay sockets: what RFC 8656 says a server answers. */
class TurnServiceTest {
    static final String REALM = "test";
    static final InetAddress RELAY = ip("203.0.113.11");
    static final InetSocketAddress SERVER = new InetSocketAddress(RELAY, 3478);
    static final InetSocketAddress PEER = new InetSocketAddress(ip("198.51.100.7"), 4000);

    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
    final Nonces nonces = new Nonces(Duration.ofMinutes(10));
    RelayMetrics metrics;
    FakeRelaySockets sockets;
    TurnService turn;
    long bandwidth;

    @BeforeEach
    void setUp() {
        build(0);
    }

    void build(long bytesPerSecond) {
        bandwidth = bytesPerSecond;
        metrics = new RelayMetrics(new PrometheusRegistry());
        sockets = new FakeRelaySockets(RELAY);
        OwnAddresses own = OwnAddresses.fixed(List.of(RELAY, ip("203.0.113.12")), List.of(Cidr.of("203.0.113.0/24")));
        PeerPolicy policy = new PeerPolicy(List.of(RELAY), own, List.of(Cidr.of("198.51.100.0/24")), List.of(Cidr.of("198.51.100.128/25")),
                RegisteredPeers.NONE);
        TurnSettings settings = new TurnSettings(Duration.ofSeconds(600), Duration.ofSeconds(3600), Duration.ofSeconds(300),
                Duration.ofSeconds(600), 4, 4, RELAY, "test relay");
        LongTermAuthenticator auth = new LongTermAuthenticator(REALM,
                new StaticUsers(Map.of("alice", "alice-password", "bob", "bob-password")), nonces, clock);
        turn = new TurnService(settings, auth, policy, new Quotas(2, 5, bytesPerSecond, Math.max(65536, bytesPerSecond)),
                sockets, metrics, nanos::get);
    }

    // ---- helpers


    static FakeLink client(int port) {
        return new FakeLink(new FiveTuple(new InetSocketAddress(ip("192.0.2.10"), port), SERVER, ClientTransport.UDP));
    }

    String nonceFor(FakeLink link) {
        return nonces.issue(link.fiveTuple().client().getAddress(), clock.instant().getEpochSecond());
    }

    StunMessage send(FakeLink link, StunMessage.Builder request, String user) {
        turn.onMessage(link, Requests.signed(request, user, REALM, user + "-password", nonceFor(link)));
        return link.last();
    }

    static StunMessage.Builder allocate() {
        return StunMessage.builder(StunMethod.ALLOCATE, StunClass.REQUEST).u32(AttributeType.REQUESTED_TRANSPORT, 17L << 24);
    }

    static StunMessage.Builder permission(InetSocketAddress... peers) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.CREATE_PERMISSION, StunClass.REQUEST);
        for (InetSocketAddress p : peers) {
            b.xorAddress(AttributeType.XOR_PEER_ADDRESS, p);
        }
        return b;
    }

    static StunMessage.Builder channelBind(int channel, InetSocketAddress peer) {
        return StunMessage.builder(StunMethod.CHANNEL_BIND, StunClass.REQUEST)
                .attribute(AttributeType.CHANNEL_NUMBER, new byte[] {(byte) (channel >> 8), (byte) channel, 0, 0})
                .xorAddress(AttributeType.XOR_PEER_ADDRESS, peer);
    }

    static StunMessage.Builder refresh(long lifetime) {
        return StunMessage.builder(StunMethod.REFRESH, StunClass.REQUEST).u32(AttributeType.LIFETIME, lifetime);
    }

    static int errorCode(StunMessage m) throws Exception {
        assertThat(m.type()).as("response class of %s", m).isEqualTo(StunClass.ERROR);
        return m.errorCode().code();
    }

    FakeRelaySockets.Socket allocated(FakeLink link, String user) {
        StunMessage r = send(link, allocate(), user);
        assertThat(r.type()).as("%s", r).isEqualTo(StunClass.SUCCESS);
        return sockets.opened.get(sockets.opened.size() - 1);
    }

    void advanceSeconds(long s) {
        nanos.addAndGet(s * 1_000_000_000L);
        clock.advance(Duration.ofSeconds(s));
    }

    // ---- authentication

    @Test
    void allocateWithoutCredentialsIsChallengedAndChangesNothing() throws Exception {
        FakeLink link = client(5000);
        turn.onMessage(link, Requests.unsigned(allocate()));
        StunMessage r = link.last();
        assertThat(errorCode(r)).isEqualTo(ErrorCode.UNAUTHORIZED);
        assertThat(r.string(AttributeType.REALM)).isEqualTo(REALM);
        assertThat(nonces.valid(r.string(AttributeType.NONCE), link.fiveTuple().client().getAddress(), clock.instant().getEpochSecond()))
                .isTrue();
        assertThat(r.hasIntegrity()).isFalse();
        assertThat(turn.allocationCount()).isZero();
        assertThat(sockets.opened).isEmpty();
    }

    @Test
    void wrongPasswordUnknownUserAndStaleNonceAreRefused() throws Exception {
        FakeLink link = client(5000);
        turn.onMessage(link, Requests.signed(allocate(), "alice", REALM, "not-her-password", nonceFor(link)));
        assertThat(errorCode(link.last())).isEqualTo(ErrorCode.UNAUTHORIZED);
        turn.onMessage(link, Requests.signed(allocate(), "mallory", REALM, "whatever", nonceFor(link)));
        assertThat(errorCode(link.last())).isEqualTo(ErrorCode.UNAUTHORIZED);
        String nonce = nonceFor(link);
        advanceSeconds(601);
        turn.onMessage(link, Requests.signed(allocate(), "alice", REALM, "alice-password", nonce));
        StunMessage stale = link.last();
        assertThat(errorCode(stale)).isEqualTo(ErrorCode.STALE_NONCE);
        assertThat(stale.string(AttributeType.NONCE)).isNotEqualTo(nonce);
        // A nonce issued to another client address is not accepted either.
        String foreign = nonces.issue(ip("192.0.2.99"), clock.instant().getEpochSecond());
        turn.onMessage(link, Requests.signed(allocate(), "alice", REALM, "alice-password", foreign));
        assertThat(errorCode(link.last())).isEqualTo(ErrorCode.STALE_NONCE);
        assertThat(turn.allocationCount()).isZero();
        assertThat(metrics.authFailures("bad_integrity")).isEqualTo(1);
        assertThat(metrics.authFailures("unknown_user")).isEqualTo(1);
    }

    @Test
    void integrityWithoutUsernameIsABadRequest() throws Exception {
        FakeLink link = client(5000);
        byte[] key = StunCodec.longTermKey("alice", REALM, "alice-password");
        turn.onMessage(link, Requests.received(StunCodec.encode(allocate().build(), new io.kedge.server.stun.IntegrityKey(key, false), true)));
        assertThat(errorCode(link.last())).isEqualTo(ErrorCode.BAD_REQUEST);
    }

    @Test
    void aTamperedRequestChangesNothing() throws Exception {
        FakeLink link = client(5000);
        allocated(link, "alice");
        // A properly signed request with one bit of the peer address flipped afterwards.
        StunMessage good = Requests.signed(permission(PEER), "alice", REALM, "alice-password", nonceFor(link));
        byte[] raw = good.rawBytes();
        raw[StunMessage.HEADER_LENGTH + 7] ^= 0x01;
        // Recompute nothing: MESSAGE-INTEGRITY no longer matches (FINGERPRINT is stripped to get past it).
        byte[] withoutFingerprint = java.util.Arrays.copyOf(raw, raw.length - 8);
        withoutFingerprint[2] = (byte) ((withoutFingerprint.length - 20) >> 8);
        withoutFingerprint[3] = (byte) (withoutFingerprint.length - 20);
        turn.onMessage(link, Requests.received(withoutFingerprint));
        assertThat(errorCode(link.last())).isEqualTo(ErrorCode.UNAUTHORIZED);
        assertThat(metrics.permissions()).isZero();
    }

    // ---- Allocate

    @Test
    void allocateSucceedsWithRelayedMappedAddressesAndLifetimeSigned() throws Exception {
        FakeLink link = client(5000);
        StunMessage r = send(link, allocate(), "alice");
        assertThat(r.type()).isEqualTo(StunClass.SUCCESS);
        assertThat(r.transactionId()).isEqualTo(link.messages.get(0).transactionId());
        InetSocketAddress relayed = r.xorAddress(AttributeType.XOR_RELAYED_ADDRESS);
        assertThat(relayed.getAddress()).isEqualTo(RELAY);
        assertThat(relayed.getPort()).isEqualTo(sockets.opened.get(0).local.getPort());
        assertThat(r.xorAddress(AttributeType.XOR_MAPPED_ADDRESS)).isEqualTo(link.fiveTuple().client());
        assertThat(r.u32(AttributeType.LIFETIME)).isEqualTo(600);
        assertThat(r.verifyIntegrity(StunCodec.longTermKey("alice", REALM, "alice-password"))).isTrue();
        assertThat(turn.allocationCount()).isEqualTo(1);
        assertThat(metrics.allocations()).isEqualTo(1);
    }

    @Test
    void lifetimeIsClampedToTheConfiguredRange() throws Exception {
        assertThat(send(client(5000), allocate().u32(AttributeType.LIFETIME, 99999), "alice").u32(AttributeType.LIFETIME)).isEqualTo(3600);
        assertThat(send(client(5001), allocate().u32(AttributeType.LIFETIME, 5), "alice").u32(AttributeType.LIFETIME)).isEqualTo(600);
    }

    @Test
    void aRetransmittedAllocateGetsTheSameAnswerAndAnotherOneA437() throws Exception {
        FakeLink link = client(5000);
        StunMessage request = Requests.signed(allocate(), "alice", REALM, "alice-password", nonceFor(link));
        turn.onMessage(link, request);
        turn.onMessage(link, request);
        assertThat(link.messages).hasSize(2);
        assertThat(link.messages.get(1).xorAddress(AttributeType.XOR_RELAYED_ADDRESS))
                .isEqualTo(link.messages.get(0).xorAddress(AttributeType.XOR_RELAYED_ADDRESS));
        assertThat(sockets.opened).hasSize(1);
        assertThat(errorCode(send(link, allocate(), "alice"))).isEqualTo(ErrorCode.ALLOCATION_MISMATCH);
    }

    @Test
    void allocateParametersTheRelayCannotHonourAreRefusedWithTheirCodes() throws Exception {
        FakeLink link = client(5000);
        assertThat(errorCode(send(link, StunMessage.builder(StunMethod.ALLOCATE, StunClass.REQUEST), "alice")))
                .isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(errorCode(send(link, StunMessage.builder(StunMethod.ALLOCATE, StunClass.REQUEST)
                .u32(AttributeType.REQUESTED_TRANSPORT, 6L << 24), "alice"))).isEqualTo(ErrorCode.UNSUPPORTED_TRANSPORT_PROTOCOL);
        StunMessage df = send(link, allocate().attribute(AttributeType.DONT_FRAGMENT, new byte[0]), "alice");
        assertThat(errorCode(df)).isEqualTo(ErrorCode.UNKNOWN_ATTRIBUTE);
        assertThat(df.value(AttributeType.UNKNOWN_ATTRIBUTES)).containsExactly(0x00, 0x1A);
        assertThat(errorCode(send(link, allocate().attribute(AttributeType.REQUESTED_ADDRESS_FAMILY, new byte[] {2, 0, 0, 0}), "alice")))
                .isEqualTo(ErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED);
        assertThat(errorCode(send(link, allocate().attribute(AttributeType.EVEN_PORT, new byte[] {(byte) 0x80}), "alice")))
                .isEqualTo(ErrorCode.INSUFFICIENT_CAPACITY);
        assertThat(errorCode(send(link, allocate().attribute(0x7777, new byte[4]), "alice"))).isEqualTo(ErrorCode.UNKNOWN_ATTRIBUTE);
        assertThat(errorCode(send(link, allocate().attribute(AttributeType.LIFETIME, new byte[3]), "alice"))).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(turn.allocationCount()).isZero();
        // An even port is honoured.
        StunMessage even = send(link, allocate().attribute(AttributeType.EVEN_PORT, new byte[] {0}), "alice");
        assertThat(even.xorAddress(AttributeType.XOR_RELAYED_ADDRESS).getPort() % 2).isZero();
    }

    @Test
    void perUserQuotaAnswers486AndFreesOnDelete() throws Exception {
        allocated(client(5000), "alice");
        FakeLink second = client(5001);
        allocated(second, "alice");
        assertThat(errorCode(send(client(5002), allocate(), "alice"))).isEqualTo(ErrorCode.ALLOCATION_QUOTA_REACHED);
        // Another user is not affected.
        allocated(client(5003), "bob");
        assertThat(send(second, refresh(0), "alice").type()).isEqualTo(StunClass.SUCCESS);
        allocated(client(5002), "alice");
        assertThat(metrics.quotaRejections("allocations")).isEqualTo(1);
    }

    @Test
    void noRelayPortAnswers508AndReleasesTheQuota() throws Exception {
        sockets.fail = true;
        assertThat(errorCode(send(client(5000), allocate(), "alice"))).isEqualTo(ErrorCode.INSUFFICIENT_CAPACITY);
        assertThat(errorCode(send(client(5001), allocate(), "alice"))).isEqualTo(ErrorCode.INSUFFICIENT_CAPACITY);
        assertThat(errorCode(send(client(5002), allocate(), "alice"))).isEqualTo(ErrorCode.INSUFFICIENT_CAPACITY);
        sockets.fail = false;
        allocated(client(5003), "alice");
    }

    // ---- Refresh

    @Test
    void refreshExtendsAndZeroDeletes() throws Exception {
        FakeLink link = client(5000);
        FakeRelaySockets.Socket socket = allocated(link, "alice");
        assertThat(send(link, refresh(1200), "alice").u32(AttributeType.LIFETIME)).isEqualTo(1200);
        advanceSeconds(900);
        turn.expire();
        assertThat(turn.allocationCount()).as("refreshed past the original 600 s").isEqualTo(1);
        StunMessage deleted = send(link, refresh(0), "alice");
        assertThat(deleted.u32(AttributeType.LIFETIME)).isZero();
        assertThat(socket.closed).isTrue();
        assertThat(turn.allocationCount()).isZero();
        assertThat(errorCode(send(link, refresh(600), "alice"))).isEqualTo(ErrorCode.ALLOCATION_MISMATCH);
        assertThat(errorCode(send(link, permission(PEER), "alice"))).isEqualTo(ErrorCode.ALLOCATION_MISMATCH);
        assertThat(metrics.allocations()).isZero();
    }

    @Test
    void anotherUserCannotTouchAnAllocation() throws Exception {
        FakeLink link = client(5000);
        allocated(link, "alice");
        assertThat(errorCode(send(link, refresh(0), "bob"))).isEqualTo(ErrorCode.WRONG_CREDENTIALS);
        assertThat(errorCode(send(link, permission(PEER), "bob"))).isEqualTo(ErrorCode.WRONG_CREDENTIALS);
        assertThat(turn.allocationCount()).isEqualTo(1);
    }

    @Test
    void anAllocationExpiresWithItsLifetime() {
        FakeLink link = client(5000);
        FakeRelaySockets.Socket socket = allocated(link, "alice");
        advanceSeconds(599);
        turn.expire();
        assertThat(turn.allocationCount()).isEqualTo(1);
        advanceSeconds(2);
        turn.expire();
        assertThat(turn.allocationCount()).isZero();
        assertThat(socket.closed).isTrue();
        allocated(client(5001), "alice");
        allocated(client(5002), "alice");
    }

    // ---- permissions and the peer policy

    @Test
    void aClientThatKeepsAskingForARefusedPeerStopsGettingAnswers() throws Exception {
        FakeLink link = client(5000);
        allocated(link, "alice");
        InetSocketAddress refused = new InetSocketAddress(ip("127.0.0.1"), 9);
        int before = link.messages.size();
        for (int i = 0; i < 100; i++) {
            send(link, permission(refused), "alice");
        }
        assertThat(link.messages.size() - before).isEqualTo(TurnService.REFUSALS_ANSWERED_PER_SECOND);
        assertThat(metrics.refusalsUnanswered()).isEqualTo(100 - TurnService.REFUSALS_ANSWERED_PER_SECOND);
        // A permitted peer is still answered at once, and a second later refusals are answered again.
        assertThat(send(link, permission(PEER), "alice").type()).isEqualTo(StunClass.SUCCESS);
        advanceSeconds(1);
        assertThat(errorCode(send(link, permission(refused), "alice"))).isEqualTo(ErrorCode.FORBIDDEN);
    }

    @Test
    void permissionsFollowThePeerPolicy() throws Exception {
        FakeLink link = client(5000);
        allocated(link, "alice");
        assertThat(send(link, permission(PEER), "alice").type()).isEqualTo(StunClass.SUCCESS);
        for (String refused : List.of("127.0.0.1", "169.254.96.16", "224.0.0.1", "0.0.0.0", "255.255.255.255", "203.0.113.12",
                "203.0.113.50", "198.51.100.200", "192.0.2.44")) {
            StunMessage r = send(link, permission(new InetSocketAddress(ip(refused), 9)), "alice");
            assertThat(errorCode(r)).as(refused).isEqualTo(ErrorCode.FORBIDDEN);
        }
        // One refused address refuses the whole request.
        assertThat(errorCode(send(link, permission(new InetSocketAddress(ip("198.51.100.8"), 1),
                new InetSocketAddress(ip("127.0.0.1"), 1)), "alice"))).isEqualTo(ErrorCode.FORBIDDEN);
        assertThat(metrics.permissions()).isEqualTo(1);
        assertThat(errorCode(send(link, permission(new InetSocketAddress(ip("2001:db8::1"), 1)), "alice")))
                .isEqualTo(ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH);
        assertThat(errorCode(send(link, permission(), "alice"))).isEqualTo(ErrorCode.BAD_REQUEST);
    }

    @Test
    void permissionsAreBoundedPerAllocation() throws Exception {
        FakeLink link = client(5000);
        allocated(link, "alice");
        for (int i = 1; i <= 4; i++) {
            assertThat(send(link, permission(new InetSocketAddress(ip("198.51.100." + i), 1)), "alice").type()).isEqualTo(StunClass.SUCCESS);
        }
        assertThat(errorCode(send(link, permission(new InetSocketAddress(ip("198.51.100.5"), 1)), "alice")))
                .isEqualTo(ErrorCode.INSUFFICIENT_CAPACITY);
        // Refreshing an existing one is fine.
        assertThat(send(link, permission(new InetSocketAddress(ip("198.51.100.1"), 2)), "alice").type()).isEqualTo(StunClass.SUCCESS);
    }

    // ---- data

    @Test
    void sendIndicationsReachPermittedPeersOnly() {
        FakeLink link = client(5000);
        FakeRelaySockets.Socket socket = allocated(link, "alice");
        StunMessage.Builder sendTo = StunMessage.builder(StunMethod.SEND, StunClass.INDICATION)
                .xorAddress(AttributeType.XOR_PEER_ADDRESS, PEER).attribute(AttributeType.DATA, bytes("hello"));
        turn.onMessage(link, Requests.unsigned(sendTo));
        assertThat(socket.sent).as("no permission yet").isEmpty();
        send(link, permission(PEER), "alice");
        turn.onMessage(link, Requests.unsigned(StunMessage.builder(StunMethod.SEND, StunClass.INDICATION)
                .xorAddress(AttributeType.XOR_PEER_ADDRESS, PEER).attribute(AttributeType.DATA, bytes("hello"))));
        assertThat(socket.sent).extracting(FakeRelaySockets.Sent::peer).containsExactly(PEER);
        assertThat(new String(socket.sent.get(0).data(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(metrics.relayedBytes(true)).isEqualTo(5);
        assertThat(metrics.drops(RelayMetrics.Drop.NO_PERMISSION)).isEqualTo(1);
    }

    @Test
    void peerDataArrivesAsDataIndicationThenAsChannelData() throws Exception {
        FakeLink link = client(5000);
        FakeRelaySockets.Socket socket = allocated(link, "alice");
        socket.fromPeer(PEER, bytes("too early"));
        assertThat(link.data).isEmpty();
        send(link, permission(PEER), "alice");
        socket.fromPeer(PEER, bytes("one"));
        // Another port of a permitted address is permitted too: permissions are per IP address.
        InetSocketAddress otherPort = new InetSocketAddress(PEER.getAddress(), 4001);
        socket.fromPeer(otherPort, bytes("two"));
        assertThat(send(link, channelBind(0x4001, PEER), "alice").type()).isEqualTo(StunClass.SUCCESS);
        socket.fromPeer(PEER, bytes("three"));
        assertThat(link.data).extracting(FakeLink.DataSent::channel).containsExactly(0, 0, 0x4001);
        assertThat(link.data).extracting(FakeLink.DataSent::peer).containsExactly(PEER, otherPort, PEER);
        assertThat(link.data).extracting(d -> new String(d.data(), StandardCharsets.UTF_8)).containsExactly("one", "two", "three");
        assertThat(metrics.drops(RelayMetrics.Drop.NO_PERMISSION)).isEqualTo(1);
        assertThat(metrics.relayedPackets(false)).isEqualTo(3);
    }

    @Test
    void channelDataFromTheClientGoesToTheBoundPeer() {
        FakeLink link = client(5000);
        FakeRelaySockets.Socket socket = allocated(link, "alice");
        turn.onChannelData(link, 0x4001, Unpooled.wrappedBuffer(bytes("unbound")));
        send(link, channelBind(0x4001, PEER), "alice");
        turn.onChannelData(link, 0x4001, Unpooled.wrappedBuffer(bytes("bound")));
        turn.onChannelData(link, 0x4002, Unpooled.wrappedBuffer(bytes("other")));
        assertThat(socket.sent).extracting(s -> new String(s.data(), StandardCharsets.UTF_8)).containsExactly("bound");
        assertThat(socket.sent.get(0).peer()).isEqualTo(PEER);
        assertThat(metrics.drops(RelayMetrics.Drop.NO_CHANNEL)).isEqualTo(2);
        // ChannelData from a 5-tuple without an allocation is dropped as well.
        turn.onChannelData(client(6000), 0x4001, Unpooled.wrappedBuffer(bytes("stranger")));
        assertThat(metrics.drops(RelayMetrics.Drop.NO_ALLOCATION)).isEqualTo(1);
    }

    @Test
    void channelBindRules() throws Exception {
        FakeLink link = client(5000);
        allocated(link, "alice");
        assertThat(errorCode(send(link, channelBind(0x3FFF, PEER), "alice"))).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(errorCode(send(link, channelBind(0x8000, PEER), "alice"))).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(errorCode(send(link, channelBind(0x4000, new InetSocketAddress(ip("127.0.0.1"), 5)), "alice")))
                .isEqualTo(ErrorCode.FORBIDDEN);
        assertThat(send(link, channelBind(0x4000, PEER), "alice").type()).isEqualTo(StunClass.SUCCESS);
        assertThat(send(link, channelBind(0x4000, PEER), "alice").type()).as("refresh").isEqualTo(StunClass.SUCCESS);
        InetSocketAddress other = new InetSocketAddress(PEER.getAddress(), 4001);
        assertThat(errorCode(send(link, channelBind(0x4000, other), "alice"))).as("number taken").isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(errorCode(send(link, channelBind(0x4005, PEER), "alice"))).as("peer bound").isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(metrics.channels()).isEqualTo(1);
        assertThat(metrics.permissions()).isEqualTo(1);
    }

    @Test
    void permissionsAndChannelsExpire() {
        FakeLink link = client(5000);
        FakeRelaySockets.Socket socket = allocated(link, "alice");
        send(link, channelBind(0x4001, PEER), "alice");
        send(link, refresh(3600), "alice");
        advanceSeconds(301);
        turn.expire();
        // The channel lives 600 s but its permission only 300 s: data stops until it is refreshed.
        socket.fromPeer(PEER, bytes("after permission expiry"));
        turn.onChannelData(link, 0x4001, Unpooled.wrappedBuffer(bytes("x")));
        assertThat(link.data).isEmpty();
        assertThat(socket.sent).isEmpty();
        assertThat(metrics.permissions()).isZero();
        assertThat(metrics.channels()).isEqualTo(1);
        advanceSeconds(300);
        turn.expire();
        assertThat(metrics.channels()).isZero();
        // The number is free again, for any peer.
        assertThat(send(link, channelBind(0x4001, new InetSocketAddress(PEER.getAddress(), 9999)), "alice").type())
                .isEqualTo(StunClass.SUCCESS);
    }

    @Test
    void twoAllocationsTalkRelayToRelayWithoutLeavingTheRelay() throws Exception {
        FakeLink a = client(5000);
        FakeLink b = client(5001);
        FakeRelaySockets.Socket socketA = allocated(a, "alice");
        FakeRelaySockets.Socket socketB = allocated(b, "bob");
        InetSocketAddress relayedA = a.messages.get(0).xorAddress(AttributeType.XOR_RELAYED_ADDRESS);
        InetSocketAddress relayedB = b.messages.get(0).xorAddress(AttributeType.XOR_RELAYED_ADDRESS);
        assertThat(send(a, channelBind(0x4000, relayedB), "alice").type()).isEqualTo(StunClass.SUCCESS);
        turn.onChannelData(a, 0x4000, Unpooled.wrappedBuffer(bytes("to b, refused")));
        assertThat(b.data).as("b has no permission for the relay").isEmpty();
        send(b, permission(relayedA), "bob");
        turn.onChannelData(a, 0x4000, Unpooled.wrappedBuffer(bytes("to b")));
        assertThat(b.data).extracting(FakeLink.DataSent::peer).containsExactly(relayedA);
        assertThat(new String(b.data.get(0).data(), StandardCharsets.UTF_8)).isEqualTo("to b");
        assertThat(socketA.sent).as("nothing went out through a real socket").isEmpty();
        assertThat(socketB.sent).isEmpty();
        // A relay port nobody holds: dropped, never sent anywhere.
        send(a, channelBind(0x4001, new InetSocketAddress(RELAY, 3478)), "alice");
        turn.onChannelData(a, 0x4001, Unpooled.wrappedBuffer(bytes("to the STUN port")));
        assertThat(socketA.sent).isEmpty();
        assertThat(metrics.drops(RelayMetrics.Drop.NO_SUCH_RELAYED_ADDRESS)).isEqualTo(1);
    }

    @Test
    void bandwidthQuotaDropsWhatExceedsTheBucket() {
        build(65536);
        FakeLink link = client(5000);
        FakeRelaySockets.Socket socket = allocated(link, "alice");
        send(link, channelBind(0x4001, PEER), "alice");
        for (int i = 0; i < 100; i++) {
            turn.onChannelData(link, 0x4001, Unpooled.wrappedBuffer(new byte[1000]));
        }
        assertThat(socket.sent).hasSize(65);
        assertThat(metrics.drops(RelayMetrics.Drop.BANDWIDTH_QUOTA)).isEqualTo(35);
        // 536 bytes were left; half a second adds 32768: 33304 bytes, 33 more datagrams.
        nanos.addAndGet(500_000_000L);
        for (int i = 0; i < 100; i++) {
            turn.onChannelData(link, 0x4001, Unpooled.wrappedBuffer(new byte[1000]));
        }
        assertThat(socket.sent).hasSize(65 + 33);
    }

    @Test
    void aSlowStreamClientLosesDataNotMemory() {
        FakeLink link = client(5000);
        FakeRelaySockets.Socket socket = allocated(link, "alice");
        send(link, permission(PEER), "alice");
        link.writable = false;
        socket.fromPeer(PEER, bytes("dropped"));
        assertThat(metrics.drops(RelayMetrics.Drop.CLIENT_BACKPRESSURE)).isEqualTo(1);
    }

    @Test
    void closingTheConnectionDeletesItsAllocation() {
        FakeLink link = new FakeLink(new FiveTuple(new InetSocketAddress(ip("192.0.2.10"), 7000), SERVER, ClientTransport.TCP));
        FakeRelaySockets.Socket socket = allocated(link, "alice");
        link.open = false;
        turn.onLinkClosed(link);
        assertThat(turn.allocationCount()).isZero();
        assertThat(socket.closed).isTrue();
    }

    @Test
    void unsupportedMethodsAnswer400AndResponsesAreIgnored() throws Exception {
        FakeLink link = client(5000);
        turn.onMessage(link, Requests.unsigned(StunMessage.builder(0x00A, StunClass.REQUEST)));
        assertThat(errorCode(link.last())).isEqualTo(ErrorCode.BAD_REQUEST);
        int before = link.messages.size();
        turn.onMessage(link, Requests.unsigned(StunMessage.builder(StunMethod.ALLOCATE, StunClass.SUCCESS)));
        turn.onMessage(link, Requests.unsigned(StunMessage.builder(StunMethod.DATA, StunClass.INDICATION)));
        assertThat(link.messages).hasSize(before);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
