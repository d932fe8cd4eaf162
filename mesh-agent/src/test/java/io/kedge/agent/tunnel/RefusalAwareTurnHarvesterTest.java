package io.kedge.agent.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.agent.tunnel.RefusalAwareTurnHarvester.Refusals;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.ice4j.StunException;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.message.MessageFactory;
import org.ice4j.message.Request;
import org.ice4j.message.Response;
import org.ice4j.stack.TransactionID;
import org.junit.jupiter.api.Test;

class RefusalAwareTurnHarvesterTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final Refusals refusals = new Refusals(now::get);

    @Test
    void aRefusedAddressIsLeftAloneForTheBackOffThenAskedOnce() throws Exception {
        InetAddress peer = InetAddress.getByName("198.51.100.7");
        Request request = createPermission(peer);
        Response forbidden = error(403);

        assertThat(refusals.beforeSend(peer)).isEqualTo(Refusals.SEND);
        assertThat(refusals.refused(peer, forbidden, request)).isEqualTo(RefusalAwareTurnHarvester.FIRST_BACKOFF_MILLIS);

        now.addAndGet(RefusalAwareTurnHarvester.FIRST_BACKOFF_MILLIS - 1);
        assertThat(refusals.beforeSend(peer)).isEqualTo(Refusals.DROP);

        now.addAndGet(1);
        Refusals.Held held = refusals.beforeSend(peer);
        assertThat(held).isInstanceOf(Refusals.Retry.class);
        // The retry hands back the refusal ice4j's open attempt is waiting for, so ice4j asks once more.
        assertThat(((Refusals.Retry) held).request()).isSameAs(request);
        assertThat(((Refusals.Retry) held).response()).isSameAs(forbidden);
        // Until the relay answers that attempt, datagrams go to ice4j (which queues them for the permission).
        assertThat(refusals.beforeSend(peer)).isEqualTo(Refusals.SEND);
    }

    @Test
    void refusalsInARowDoubleTheBackOffUpToTheCap() throws Exception {
        InetAddress peer = InetAddress.getByName("198.51.100.8");
        long backoff = 0;
        for (int i = 0; i < 10; i++) {
            backoff = refusals.refused(peer, error(403), createPermission(peer));
            if (i == 1) {
                assertThat(backoff).isEqualTo(2 * RefusalAwareTurnHarvester.FIRST_BACKOFF_MILLIS);
            }
        }
        assertThat(backoff).isEqualTo(RefusalAwareTurnHarvester.MAX_BACKOFF_MILLIS);
        now.addAndGet(RefusalAwareTurnHarvester.MAX_BACKOFF_MILLIS - 1);
        assertThat(refusals.beforeSend(peer)).isEqualTo(Refusals.DROP);
    }

    @Test
    void otherPeersAreNotHeld() throws Exception {
        InetAddress refused = InetAddress.getByName("198.51.100.9");
        InetAddress other = InetAddress.getByName("198.51.100.10");
        refusals.refused(refused, error(403), createPermission(refused));

        assertThat(refusals.beforeSend(other)).isEqualTo(Refusals.SEND);
        assertThat(refusals.beforeSend(refused)).isEqualTo(Refusals.DROP);
        assertThat(refusals.size()).isEqualTo(1);
    }

    @Test
    void onlyAnswersThatAskingAgainCannotChangeAreRefusals() throws Exception {
        assertThat(RefusalAwareTurnHarvester.RefusalAwareSocket.refused(error(403))).isTrue();
        assertThat(RefusalAwareTurnHarvester.RefusalAwareSocket.refused(error(486))).isTrue();
        assertThat(RefusalAwareTurnHarvester.RefusalAwareSocket.refused(error(508))).isTrue();
        // ice4j answers a challenge or a stale nonce itself, with credentials; a timeout is no answer.
        assertThat(RefusalAwareTurnHarvester.RefusalAwareSocket.refused(error(401))).isFalse();
        assertThat(RefusalAwareTurnHarvester.RefusalAwareSocket.refused(error(438))).isFalse();
        assertThat(RefusalAwareTurnHarvester.RefusalAwareSocket.refused(null)).isFalse();
    }

    private static Request createPermission(InetAddress peer) throws StunException {
        byte[] id = TransactionID.createNewTransactionID().getBytes();
        Request r = MessageFactory.createCreatePermissionRequest(new TransportAddress(peer, 0, Transport.UDP), id);
        r.setTransactionID(id);
        return r;
    }

    /** An error response with {@code code} (ice4j has no factory for CreatePermission's; only the ERROR-CODE is read). */
    private static Response error(int code) {
        return MessageFactory.createChannelBindErrorResponse((char) code);
    }
}
