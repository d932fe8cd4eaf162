package io.kedge.agent.tunnel;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.SocketException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.ice4j.TransportAddress;
import org.ice4j.attribute.Attribute;
import org.ice4j.attribute.ErrorCodeAttribute;
import org.ice4j.attribute.XorPeerAddressAttribute;
import org.ice4j.ice.HostCandidate;
import org.ice4j.ice.RelayedCandidate;
import org.ice4j.ice.harvest.TurnCandidateHarvest;
import org.ice4j.ice.harvest.TurnCandidateHarvester;
import org.ice4j.message.Message;
import org.ice4j.message.Request;
import org.ice4j.message.Response;
import org.ice4j.security.LongTermCredential;
import org.ice4j.socket.IceSocketWrapper;
import org.ice4j.socket.IceUdpSocketWrapper;
import org.ice4j.socket.MultiplexingDatagramSocket;
import org.ice4j.socket.RelayedCandidateDatagramSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ice4j's TURN harvester with relayed sockets that take no for an answer.
 *
 * <p>ice4j's relayed socket queues every datagram for a peer until the peer has a permission on the
 * relay; when the relay refuses one (403 for an address it will not relay to, 486/508 for a quota),
 * it clears the attempt and, with the datagram still queued, asks again at once: a loop at the
 * relay's round-trip time that never ends. Every pair of our relayed candidate with a peer address
 * the relay refuses (the peer's private host addresses, say) started one, each worth thousands of
 * requests a second and a busy core on both the agent and the relay. Here a refused peer address is
 * left alone for a back-off (doubling up to {@link #MAX_BACKOFF_MILLIS}): datagrams to it are dropped,
 * as a network would drop them (ICE's checks on that pair time out), and the queued ones wait; once
 * the back-off is over the next datagram asks once more.
 */
final class RefusalAwareTurnHarvester extends TurnCandidateHarvester {
    private static final Logger log = LoggerFactory.getLogger(RefusalAwareTurnHarvester.class);

    static final long FIRST_BACKOFF_MILLIS = 5_000;
    static final long MAX_BACKOFF_MILLIS = 120_000;

    RefusalAwareTurnHarvester(TransportAddress server, LongTermCredential credential) {
        super(server, credential);
    }

    @Override
    protected TurnCandidateHarvest createHarvest(HostCandidate hostCandidate) {
        return new TurnCandidateHarvest(this, hostCandidate) {
            @Override
            protected RelayedCandidate createRelayedCandidate(TransportAddress transportAddress, TransportAddress mappedAddress) {
                return new Candidate(transportAddress, this, mappedAddress);
            }
        };
    }

    /** A relayed candidate whose socket is a {@link RefusalAwareSocket} (ice4j's own is created in a private method). */
    private static final class Candidate extends RelayedCandidate {
        private final TurnCandidateHarvest harvest;
        private IceSocketWrapper socket;

        Candidate(TransportAddress transportAddress, TurnCandidateHarvest harvest, TransportAddress mappedAddress) {
            super(transportAddress, harvest, mappedAddress);
            this.harvest = harvest;
        }

        @Override
        public synchronized IceSocketWrapper getCandidateIceSocketWrapper() {
            if (socket == null) {
                try {
                    socket = new IceUdpSocketWrapper(new MultiplexingDatagramSocket(new RefusalAwareSocket(this, harvest)));
                } catch (SocketException e) {
                    throw new IllegalStateException("relayed candidate socket: " + e.getMessage(), e);
                }
            }
            return socket;
        }
    }

    /** ice4j's relayed socket, with refused peer addresses backed off (see the class comment). */
    static final class RefusalAwareSocket extends RelayedCandidateDatagramSocket {
        private final Refusals refusals = new Refusals(System::currentTimeMillis);

        RefusalAwareSocket(RelayedCandidate candidate, TurnCandidateHarvest harvest) throws SocketException {
            super(candidate, harvest);
        }

        @Override
        public void send(DatagramPacket p) throws IOException {
            InetAddress peer = p.getAddress();
            Refusals.Held held = refusals.beforeSend(peer);
            if (held == Refusals.DROP) {
                return;
            }
            if (held instanceof Refusals.Retry retry) {
                // The attempt ice4j is still waiting on ends now, so the queued datagrams ask once more.
                super.processErrorOrFailure(retry.response(), retry.request());
            }
            super.send(p);
        }

        @Override
        public boolean processErrorOrFailure(Response response, Request request) {
            if (request.getMessageType() == Message.CREATEPERMISSION_REQUEST && refused(response)) {
                XorPeerAddressAttribute peer = (XorPeerAddressAttribute) request.getAttribute(Attribute.XOR_PEER_ADDRESS);
                if (peer != null) {
                    InetAddress address = peer.getAddress(request.getTransactionID()).getAddress();
                    long backoff = refusals.refused(address, response, request);
                    log.debug("relay refused a permission for {} ({}); not asking again for {} ms", address,
                            ((ErrorCodeAttribute) response.getAttribute(Attribute.ERROR_CODE)).getErrorCode(), backoff);
                    // Not passed on: ice4j would ask again at once. Its attempt stays open until the back-off ends.
                    return false;
                }
            }
            return super.processErrorOrFailure(response, request);
        }

        /** An answer that asking again right away cannot change (not a challenge or a stale nonce, which ice4j answers itself). */
        static boolean refused(Response response) {
            if (response == null) {
                return false;
            }
            ErrorCodeAttribute error = (ErrorCodeAttribute) response.getAttribute(Attribute.ERROR_CODE);
            if (error == null) {
                return false;
            }
            char code = error.getErrorCode();
            return code == ErrorCodeAttribute.FORBIDDEN || code == ErrorCodeAttribute.ALLOCATION_QUOTA_REACHED
                    || code == ErrorCodeAttribute.INSUFFICIENT_CAPACITY;
        }
    }

    /**
     * Which peer addresses the relay refused and until when; pure bookkeeping (the socket calls it
     * under no lock of its own, so it synchronizes).
     */
    static final class Refusals {
        /** What a send to a peer address does now. */
        sealed interface Held permits Send, Drop, Retry {
        }

        record Send() implements Held {
        }

        record Drop() implements Held {
        }

        /** The back-off is over: end ice4j's open attempt with the refusal it got, then send (it asks again). */
        record Retry(Response response, Request request) implements Held {
        }

        static final Held SEND = new Send();
        static final Held DROP = new Drop();

        private record Refusal(long until, long backoff, Response response, Request request, boolean retried) {
        }

        private final LongSupplier clock;
        private final Map<InetAddress, Refusal> refused = new HashMap<>();

        Refusals(LongSupplier clock) {
            this.clock = clock;
        }

        /** Records a refusal for {@code peer}; returns how long it is backed off (doubling on each refusal in a row). */
        synchronized long refused(InetAddress peer, Response response, Request request) {
            Refusal before = refused.get(peer);
            long backoff = before == null ? FIRST_BACKOFF_MILLIS : Math.min(before.backoff * 2, MAX_BACKOFF_MILLIS);
            refused.put(peer, new Refusal(clock.getAsLong() + backoff, backoff, response, request, false));
            return backoff;
        }

        synchronized Held beforeSend(InetAddress peer) {
            Refusal r = refused.get(peer);
            if (r == null || r.retried) {
                return SEND;
            }
            if (clock.getAsLong() < r.until) {
                return DROP;
            }
            // One retry per refusal; a new refusal doubles the back-off, a granted permission leaves this entry unused.
            refused.put(peer, new Refusal(r.until, r.backoff, null, null, true));
            return new Retry(r.response, r.request);
        }

        synchronized int size() {
            return refused.size();
        }
    }
}
