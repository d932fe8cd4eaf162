package io.kedge.server.turn;

import io.kedge.server.auth.AuthOutcome;
import io.kedge.server.auth.LongTermAuthenticator;
import io.kedge.server.metrics.RelayMetrics;
import io.kedge.server.metrics.RelayMetrics.Drop;
import io.kedge.server.policy.PeerDecision;
import io.kedge.server.policy.PeerPolicy;
import io.kedge.server.quota.Quotas;
import io.kedge.server.stun.AttributeType;
import io.kedge.server.stun.ChannelData;
import io.kedge.server.stun.ErrorCode;
import io.kedge.server.stun.IntegrityKey;
import io.kedge.server.stun.StunClass;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.stun.StunMethod;
import io.kedge.server.stun.StunParseException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TURN server's logic (RFC 8656): Allocate, Refresh, CreatePermission, ChannelBind, Send and
 * Data indications and ChannelData, with long-term authentication before any state changes, the
 * peer policy on every permission, and per-user quotas. It does no I/O of its own: requests come
 * from and answers go to a {@link ClientLink}, peers are reached through {@link RelaySocket}s.
 *
 * <p>Threading: each allocation lives on its client link's executor. Requests and ChannelData of
 * a link, its relay socket's datagrams and its expiry all run there; the only cross-thread steps
 * are hand-offs to another allocation's executor (relay-to-relay traffic) and the shared tables.
 */
public final class TurnService {
    private static final Logger log = LoggerFactory.getLogger(TurnService.class);
    private static final int UDP = 17;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Refused permissions and channel bindings one allocation gets answers for per second; more go unanswered. */
    static final int REFUSALS_ANSWERED_PER_SECOND = 20;

    private final TurnSettings settings;
    private final LongTermAuthenticator authenticator;
    private final PeerPolicy policy;
    private final Quotas quotas;
    private final RelaySocketFactory sockets;
    private final RelayMetrics metrics;
    private final LongSupplier nanoTime;
    private final AllocationTable table = new AllocationTable();
    private volatile boolean closed;

    public TurnService(TurnSettings settings, LongTermAuthenticator authenticator, PeerPolicy policy, Quotas quotas,
                       RelaySocketFactory sockets, RelayMetrics metrics, LongSupplier nanoTime) {
        this.settings = settings;
        this.authenticator = authenticator;
        this.policy = policy;
        this.quotas = quotas;
        this.sockets = sockets;
        this.metrics = metrics;
        this.nanoTime = nanoTime;
    }

    /** Whether {@code method} is one this service answers (everything but Binding). */
    public static boolean handles(int method) {
        return method == StunMethod.ALLOCATE || method == StunMethod.REFRESH || method == StunMethod.CREATE_PERMISSION
                || method == StunMethod.CHANNEL_BIND || method == StunMethod.SEND;
    }

    /** A STUN request or indication from {@code link}; called on the link's executor. */
    public void onMessage(ClientLink link, StunMessage message) {
        if (closed) {
            return;
        }
        Allocation existing = table.get(link.fiveTuple());
        if (existing != null && !link.executor().inEventLoop()) {
            // Defensive: an allocation's state is only touched on its own thread.
            existing.link.executor().execute(() -> onMessage(existing.link, message));
            return;
        }
        if (message.type() == StunClass.INDICATION && message.method() == StunMethod.SEND) {
            onSend(link, message);
        } else if (message.type() == StunClass.REQUEST) {
            onRequest(link, message);
        }
        // Responses and other indications from clients mean nothing to a server: dropped.
    }

    /** ChannelData from {@code link}; takes ownership of {@code data}. */
    public void onChannelData(ClientLink link, int channel, ByteBuf data) {
        Allocation a = table.get(link.fiveTuple());
        if (a == null || a.closed) {
            data.release();
            metrics.dropped(Drop.NO_ALLOCATION);
            return;
        }
        long now = nanoTime.getAsLong();
        Allocation.Channel c = a.channelsByNumber.get(channel);
        if (c == null || c.expiresAt - now <= 0) {
            data.release();
            metrics.dropped(Drop.NO_CHANNEL);
            return;
        }
        if (!a.permits(c.peer.getAddress(), now)) {
            data.release();
            metrics.dropped(Drop.NO_PERMISSION);
            return;
        }
        relayToPeer(a, c.peer, data, now);
    }

    /** The client's TCP or TLS connection closed: its allocation goes with it (RFC 8656 section 3.1). */
    public void onLinkClosed(ClientLink link) {
        Allocation a = table.get(link.fiveTuple());
        if (a != null) {
            a.link.executor().execute(() -> delete(a, "connection closed"));
        }
    }

    /** Drops expired allocations, permissions and channels; call periodically from any thread. */
    public void expire() {
        for (Allocation a : table.all()) {
            a.link.executor().execute(() -> expire(a));
        }
    }

    private void expire(Allocation a) {
        if (a.closed) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (a.expiresAt - now <= 0) {
            delete(a, "lifetime expired");
            return;
        }
        int[] removed = a.expire(now);
        metrics.permissions(-removed[0]);
        metrics.channels(-removed[1]);
    }

    /** Whether {@code tuple} holds an allocation (or is getting one). */
    public boolean hasAllocation(FiveTuple tuple) {
        return table.get(tuple) != null || table.isPending(tuple);
    }

    public int allocationCount() {
        return table.size();
    }

    /** Deletes every allocation (shutdown). */
    public void close() {
        closed = true;
        for (Allocation a : table.all()) {
            a.link.executor().execute(() -> delete(a, "server stopping"));
        }
    }

    /** A summary of every allocation, for the admin endpoint. */
    public List<Map<String, Object>> describe() {
        List<Map<String, Object>> out = new ArrayList<>();
        long now = nanoTime.getAsLong();
        for (Allocation a : table.all()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("client", a.fiveTuple().toString());
            m.put("user", a.principal);
            m.put("relayed", a.relayedAddress.getAddress().getHostAddress() + ":" + a.relayedAddress.getPort());
            m.put("expiresInSeconds", Math.max(0, (a.expiresAt - now) / NANOS_PER_SECOND));
            // Sizes of maps owned by another thread: a momentary, approximate view is enough here.
            m.put("permissions", a.permissions.size());
            m.put("channels", a.channelsByNumber.size());
            out.add(m);
        }
        return out;
    }

    // ---- requests

    private void onRequest(ClientLink link, StunMessage request) {
        int method = request.method();
        String methodName = StunMethod.name(method);
        if (!handles(method) || method == StunMethod.SEND) {
            reply(link, request, StunMessage.errorFor(request, ErrorCode.BAD_REQUEST, "unsupported method " + methodName), null);
            return;
        }
        AuthOutcome outcome = authenticator.authenticate(request, link.fiveTuple().client().getAddress());
        if (outcome instanceof AuthOutcome.Rejected r) {
            if (r.failure() == null) {
                metrics.authChallenge(r.code());
            } else {
                metrics.authFailure(r.failure());
                log.debug("{} from {} refused: {}", methodName, link.fiveTuple(), r.reason());
            }
            StunMessage.Builder b = StunMessage.errorFor(request, r.code(), r.reason());
            if (r.nonce() != null) {
                b.string(AttributeType.REALM, r.realm()).string(AttributeType.NONCE, r.nonce());
            }
            reply(link, request, b, null);
            return;
        }
        AuthOutcome.Authenticated user = (AuthOutcome.Authenticated) outcome;
        int[] unknown = request.unknownComprehensionRequired();
        if (unknown.length > 0) {
            reply(link, request, StunMessage.errorFor(request, ErrorCode.UNKNOWN_ATTRIBUTE, ErrorCode.reason(ErrorCode.UNKNOWN_ATTRIBUTE))
                    .unknownAttributes(unknown), user.key());
            return;
        }
        try {
            switch (method) {
                case StunMethod.ALLOCATE -> allocate(link, request, user);
                case StunMethod.REFRESH -> refresh(link, request, user);
                case StunMethod.CREATE_PERMISSION -> createPermission(link, request, user);
                case StunMethod.CHANNEL_BIND -> channelBind(link, request, user);
                default -> throw new IllegalStateException("unreachable: " + methodName);
            }
        } catch (StunParseException e) {
            metrics.malformed(link.fiveTuple().transport().label());
            reply(link, request, StunMessage.errorFor(request, ErrorCode.BAD_REQUEST, e.getMessage()), user.key());
        }
    }

    private void allocate(ClientLink link, StunMessage request, AuthOutcome.Authenticated user) throws StunParseException {
        FiveTuple tuple = link.fiveTuple();
        Allocation existing = table.get(tuple);
        if (existing != null) {
            if (Arrays.equals(existing.allocateTransactionId, request.transactionId()) && existing.allocateResponse != null) {
                link.sendMessage(existing.allocateResponse, user.key()); // a retransmission: same answer
            } else {
                error(link, request, ErrorCode.ALLOCATION_MISMATCH, "this 5-tuple already has an allocation", user.key());
            }
            return;
        }
        if (table.isPending(tuple)) {
            return; // retransmitted while its relay socket opens: the answer is on its way
        }
        Long transport = request.u32(AttributeType.REQUESTED_TRANSPORT);
        if (transport == null) {
            error(link, request, ErrorCode.BAD_REQUEST, "REQUESTED-TRANSPORT is required", user.key());
            return;
        }
        if ((transport >>> 24) != UDP) {
            error(link, request, ErrorCode.UNSUPPORTED_TRANSPORT_PROTOCOL, "only UDP relaying is offered", user.key());
            return;
        }
        if (request.has(AttributeType.DONT_FRAGMENT)) {
            // RFC 8656 section 7.2: a server that cannot set DF treats the attribute as unknown.
            reply(link, request, StunMessage.errorFor(request, ErrorCode.UNKNOWN_ATTRIBUTE, "DONT-FRAGMENT is not supported")
                    .unknownAttributes(new int[] {AttributeType.DONT_FRAGMENT}), user.key());
            return;
        }
        byte[] evenPort = request.value(AttributeType.EVEN_PORT);
        if (request.has(AttributeType.RESERVATION_TOKEN)) {
            error(link, request, evenPort != null ? ErrorCode.BAD_REQUEST : ErrorCode.INSUFFICIENT_CAPACITY,
                    evenPort != null ? "EVEN-PORT and RESERVATION-TOKEN together" : "no such reservation", user.key());
            return;
        }
        if (evenPort != null && evenPort.length != 1) {
            throw new StunParseException("EVEN-PORT must be 1 byte");
        }
        if (evenPort != null && (evenPort[0] & 0x80) != 0) {
            error(link, request, ErrorCode.INSUFFICIENT_CAPACITY, "port reservations are not offered", user.key());
            return;
        }
        byte[] family = request.value(AttributeType.REQUESTED_ADDRESS_FAMILY);
        if (family != null) {
            if (family.length != 4 || (family[0] != 0x01 && family[0] != 0x02)) {
                throw new StunParseException("REQUESTED-ADDRESS-FAMILY must be 4 bytes naming IPv4 or IPv6");
            }
            if (family[0] == 0x02) {
                error(link, request, ErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED, "only IPv4 relayed addresses", user.key());
                return;
            }
        }
        long lifetime = lifetimeSeconds(request.u32(AttributeType.LIFETIME));
        long now = nanoTime.getAsLong();
        Quotas.Admission admission = quotas.tryAcquire(user.principal(), now);
        if (admission instanceof Quotas.Refusal refusal) {
            boolean userQuota = refusal == Quotas.Refusal.USER_QUOTA;
            metrics.quotaRejection(userQuota ? "allocations" : "capacity");
            error(link, request, userQuota ? ErrorCode.ALLOCATION_QUOTA_REACHED : ErrorCode.INSUFFICIENT_CAPACITY,
                    userQuota ? "allocation quota of " + user.principal() + " reached" : "the relay is full", user.key());
            return;
        }
        Quotas.Grant grant = (Quotas.Grant) admission;
        table.startPending(tuple);
        sockets.open(link.executor(), evenPort != null, (socket, failure) -> {
            table.endPending(tuple);
            if (failure != null || closed || !link.isOpen()) {
                grant.release();
                if (socket != null) {
                    socket.close();
                }
                if (failure != null) {
                    log.warn("no relay socket for {}: {}", tuple, failure.toString());
                    metrics.quotaRejection("ports");
                    error(link, request, ErrorCode.INSUFFICIENT_CAPACITY, "no relay port available", user.key());
                }
                return;
            }
            InetSocketAddress relayed = new InetSocketAddress(settings.advertisedAddress(), socket.localAddress().getPort());
            long opened = nanoTime.getAsLong();
            Allocation a = new Allocation(link, user.username(), user.principal(), grant, socket, relayed,
                    request.transactionId(), opened + lifetime * NANOS_PER_SECOND);
            table.add(a);
            socket.receiveInto((peer, data) -> fromPeer(a, peer, data));
            metrics.allocationOpened(tuple.transport().label());
            a.allocateResponse = success(request)
                    .xorAddress(AttributeType.XOR_RELAYED_ADDRESS, relayed)
                    .u32(AttributeType.LIFETIME, lifetime)
                    .xorAddress(AttributeType.XOR_MAPPED_ADDRESS, tuple.client())
                    .string(AttributeType.SOFTWARE, settings.software())
                    .build();
            log.debug("allocation {} for {} ({}) for {} s", relayed, tuple, user.principal(), lifetime);
            metrics.request("Allocate", "success");
            link.sendMessage(a.allocateResponse, user.key());
        });
    }

    private void refresh(ClientLink link, StunMessage request, AuthOutcome.Authenticated user) throws StunParseException {
        Allocation a = ownedAllocation(link, request, user);
        if (a == null) {
            return;
        }
        Long requested = request.u32(AttributeType.LIFETIME);
        if (requested != null && requested == 0) {
            delete(a, "refreshed with lifetime 0");
            reply(link, request, success(request).u32(AttributeType.LIFETIME, 0), user.key());
            return;
        }
        long lifetime = lifetimeSeconds(requested);
        a.expiresAt = nanoTime.getAsLong() + lifetime * NANOS_PER_SECOND;
        reply(link, request, success(request).u32(AttributeType.LIFETIME, lifetime), user.key());
    }

    private void createPermission(ClientLink link, StunMessage request, AuthOutcome.Authenticated user) throws StunParseException {
        Allocation a = ownedAllocation(link, request, user);
        if (a == null) {
            return;
        }
        List<InetSocketAddress> peers = request.xorAddresses(AttributeType.XOR_PEER_ADDRESS);
        if (peers.isEmpty()) {
            error(link, request, ErrorCode.BAD_REQUEST, "XOR-PEER-ADDRESS is required", user.key());
            return;
        }
        // All or nothing: one refused address refuses the whole request (RFC 8656 section 9.2).
        List<InetAddress> addresses = new ArrayList<>(peers.size());
        for (InetSocketAddress peer : peers) {
            if (!permittedPeer(link, request, user, a, peer)) {
                return;
            }
            addresses.add(peer.getAddress());
        }
        long now = nanoTime.getAsLong();
        long added = addresses.stream().distinct().filter(ip -> !a.permissions.containsKey(ip)).count();
        if (a.permissions.size() + added > settings.maxPermissionsPerAllocation()) {
            error(link, request, ErrorCode.INSUFFICIENT_CAPACITY,
                    "at most " + settings.maxPermissionsPerAllocation() + " permissions per allocation", user.key());
            return;
        }
        for (InetAddress ip : addresses) {
            installPermission(a, ip, now);
        }
        reply(link, request, success(request), user.key());
    }

    private void channelBind(ClientLink link, StunMessage request, AuthOutcome.Authenticated user) throws StunParseException {
        Allocation a = ownedAllocation(link, request, user);
        if (a == null) {
            return;
        }
        byte[] number = request.value(AttributeType.CHANNEL_NUMBER);
        InetSocketAddress peer = request.xorAddress(AttributeType.XOR_PEER_ADDRESS);
        if (number == null || peer == null) {
            error(link, request, ErrorCode.BAD_REQUEST, "CHANNEL-NUMBER and XOR-PEER-ADDRESS are required", user.key());
            return;
        }
        if (number.length != 4) {
            throw new StunParseException("CHANNEL-NUMBER must be 4 bytes");
        }
        int channel = ((number[0] & 0xFF) << 8) | (number[1] & 0xFF);
        if (!ChannelData.validChannel(channel)) {
            error(link, request, ErrorCode.BAD_REQUEST, String.format("channel number 0x%04x outside 0x4000-0x7FFF", channel), user.key());
            return;
        }
        if (!permittedPeer(link, request, user, a, peer)) {
            return;
        }
        long now = nanoTime.getAsLong();
        Allocation.Channel byNumber = a.channelsByNumber.get(channel);
        Allocation.Channel byPeer = a.channelsByPeer.get(peer);
        if ((byNumber != null && !byNumber.peer.equals(peer)) || (byPeer != null && byPeer.number != channel)) {
            error(link, request, ErrorCode.BAD_REQUEST, "channel or peer already bound differently", user.key());
            return;
        }
        if (byNumber == null && a.channelsByNumber.size() >= settings.maxChannelsPerAllocation()) {
            error(link, request, ErrorCode.INSUFFICIENT_CAPACITY,
                    "at most " + settings.maxChannelsPerAllocation() + " channels per allocation", user.key());
            return;
        }
        if (byNumber == null && !a.permissions.containsKey(peer.getAddress())
                && a.permissions.size() >= settings.maxPermissionsPerAllocation()) {
            error(link, request, ErrorCode.INSUFFICIENT_CAPACITY,
                    "at most " + settings.maxPermissionsPerAllocation() + " permissions per allocation", user.key());
            return;
        }
        long until = now + settings.channelLifetime().toNanos();
        if (byNumber == null) {
            Allocation.Channel c = new Allocation.Channel(channel, peer, until);
            a.channelsByNumber.put(channel, c);
            a.channelsByPeer.put(peer, c);
            metrics.channels(1);
        } else {
            byNumber.expiresAt = until;
        }
        installPermission(a, peer.getAddress(), now);
        reply(link, request, success(request), user.key());
    }

    /** The link's allocation if {@code user} owns it; otherwise answers 437 or 441 and returns null. */
    private Allocation ownedAllocation(ClientLink link, StunMessage request, AuthOutcome.Authenticated user) {
        Allocation a = table.get(link.fiveTuple());
        if (a == null || a.closed) {
            error(link, request, ErrorCode.ALLOCATION_MISMATCH, "no allocation for this 5-tuple", user.key());
            return null;
        }
        if (!a.username.equals(user.username())) {
            metrics.authFailure("wrong_credentials");
            error(link, request, ErrorCode.WRONG_CREDENTIALS, "the allocation belongs to another user", user.key());
            return null;
        }
        return a;
    }

    /**
     * Checks address family and policy for {@code peer}; answers 443 or 403 and returns false if refused
     * (beyond {@link #REFUSALS_ANSWERED_PER_SECOND} refusals a second on {@code a}, a refusal goes unanswered).
     */
    private boolean permittedPeer(ClientLink link, StunMessage request, AuthOutcome.Authenticated user, Allocation a, InetSocketAddress peer) {
        if (!(peer.getAddress() instanceof Inet4Address)) {
            error(link, request, ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH, "the relayed address is IPv4", user.key());
            return false;
        }
        PeerDecision decision = policy.check(peer.getAddress());
        if (!decision.permitted()) {
            metrics.peerDenied();
            if (!a.answerRefusal(nanoTime.getAsLong(), REFUSALS_ANSWERED_PER_SECOND)) {
                metrics.refusalUnanswered();
                return false;
            }
            log.info("{} refused {} a permission for {}: {}", StunMethod.name(request.method()), user.principal(),
                    peer.getAddress().getHostAddress(), decision.reason());
            error(link, request, ErrorCode.FORBIDDEN, "peer address not allowed: " + decision.reason(), user.key());
            return false;
        }
        return true;
    }

    private void installPermission(Allocation a, InetAddress ip, long now) {
        if (a.permissions.put(ip, now + settings.permissionLifetime().toNanos()) == null) {
            metrics.permissions(1);
        }
    }

    private long lifetimeSeconds(Long requested) {
        long def = settings.defaultLifetime().toSeconds();
        if (requested == null) {
            return def;
        }
        return Math.max(def, Math.min(requested, settings.maxLifetime().toSeconds()));
    }

    private void delete(Allocation a, String why) {
        if (a.closed) {
            return;
        }
        a.closed = true;
        table.remove(a);
        a.socket.close();
        a.grant.release();
        metrics.permissions(-a.permissions.size());
        metrics.channels(-a.channelsByNumber.size());
        a.permissions.clear();
        a.channelsByNumber.clear();
        a.channelsByPeer.clear();
        metrics.allocationClosed(a.fiveTuple().transport().label());
        log.debug("allocation {} of {} deleted: {}", a.relayedAddress, a.fiveTuple(), why);
    }

    // ---- data

    private void onSend(ClientLink link, StunMessage indication) {
        Allocation a = table.get(link.fiveTuple());
        if (a == null || a.closed) {
            metrics.dropped(Drop.NO_ALLOCATION);
            return;
        }
        InetSocketAddress peer;
        try {
            peer = indication.xorAddress(AttributeType.XOR_PEER_ADDRESS);
        } catch (StunParseException e) {
            metrics.malformed(link.fiveTuple().transport().label());
            return;
        }
        byte[] data = indication.value(AttributeType.DATA);
        if (peer == null || data == null) {
            metrics.malformed(link.fiveTuple().transport().label());
            return;
        }
        long now = nanoTime.getAsLong();
        if (!a.permits(peer.getAddress(), now)) {
            metrics.dropped(Drop.NO_PERMISSION);
            return;
        }
        relayToPeer(a, peer, Unpooled.wrappedBuffer(data), now);
    }

    private void relayToPeer(Allocation a, InetSocketAddress peer, ByteBuf data, long now) {
        int bytes = data.readableBytes();
        if (!a.grant.allowBytes(bytes, now)) {
            data.release();
            metrics.dropped(Drop.BANDWIDTH_QUOTA);
            return;
        }
        if (policy.isRelayAddress(peer.getAddress())) {
            // Relay to relay: hand the data to the allocation on that port, never to another socket.
            Allocation target = table.byRelayedPort(peer.getPort());
            if (target == null) {
                data.release();
                metrics.dropped(Drop.NO_SUCH_RELAYED_ADDRESS);
                return;
            }
            metrics.relayedToPeer(bytes);
            InetSocketAddress from = a.relayedAddress;
            if (target.link.executor().inEventLoop()) {
                fromPeer(target, from, data);
            } else {
                target.link.executor().execute(() -> fromPeer(target, from, data));
            }
            return;
        }
        metrics.relayedToPeer(bytes);
        a.socket.send(peer, data);
    }

    /** A datagram from {@code peer} for allocation {@code a}; on a's executor; owns {@code data}. */
    private void fromPeer(Allocation a, InetSocketAddress peer, ByteBuf data) {
        if (a.closed) {
            data.release();
            metrics.dropped(Drop.NO_ALLOCATION);
            return;
        }
        long now = nanoTime.getAsLong();
        if (!a.permits(peer.getAddress(), now)) {
            data.release();
            metrics.dropped(Drop.NO_PERMISSION);
            return;
        }
        int bytes = data.readableBytes();
        if (!a.grant.allowBytes(bytes, now)) {
            data.release();
            metrics.dropped(Drop.BANDWIDTH_QUOTA);
            return;
        }
        if (a.link.sendData(a.channelFor(peer, now), peer, data)) {
            metrics.relayedToClient(bytes);
        } else {
            metrics.dropped(Drop.CLIENT_BACKPRESSURE);
        }
    }

    // ---- answers

    private StunMessage.Builder success(StunMessage request) {
        return StunMessage.successFor(request);
    }

    private void error(ClientLink link, StunMessage request, int code, String reason, IntegrityKey key) {
        reply(link, request, StunMessage.errorFor(request, code, reason), key);
    }

    private void reply(ClientLink link, StunMessage request, StunMessage.Builder answer, IntegrityKey key) {
        StunMessage message = answer.string(AttributeType.SOFTWARE, settings.software()).build();
        String result = message.type() == StunClass.SUCCESS ? "success" : errorCodeOf(message);
        metrics.request(StunMethod.name(request.method()), result);
        link.sendMessage(message, key);
    }

    private static String errorCodeOf(StunMessage message) {
        try {
            StunMessage.ErrorValue e = message.errorCode();
            return e == null ? "error" : String.valueOf(e.code());
        } catch (StunParseException e) {
            return "error";
        }
    }
}
