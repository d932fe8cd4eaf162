package io.kedge.cloud.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeedge.Operations;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeQueueTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static SyncItem item(String uid, String op, String rv) {
        return new SyncItem(uid, op, BuiltinTypes.SERVICES, "service", "default", "svc-" + uid, rv, KubeObjects.JSON.createObjectNode());
    }

    NodeQueue queue(int window) {
        return new NodeQueue(window, 3, Duration.ofSeconds(5), Duration.ofSeconds(10));
    }

    @Test
    void pendingStatesCoalesceByUidKeepingTheNewest() {
        NodeQueue q = queue(10);
        assertThat(q.offer(item("a", Operations.INSERT, "5"))).isTrue();
        assertThat(q.offer(item("a", Operations.UPDATE, "7"))).isTrue();
        assertThat(q.offer(item("a", Operations.UPDATE, "6"))).isFalse(); // older than what waits
        assertThat(q.offer(item("b", Operations.INSERT, "6"))).isTrue();
        List<NodeQueue.Send> sends = q.poll(T0);
        assertThat(sends).extracting(s -> s.item().uid() + "@" + s.item().resourceVersion()).containsExactly("a@7", "b@6");
    }

    @Test
    void aDeleteSupersedesAnUpsertOfTheSameVersionAndVersionsCompareAsUnsigned64Bit() {
        NodeQueue q = queue(10);
        q.offer(item("a", Operations.UPDATE, "9"));
        assertThat(q.offer(item("a", Operations.DELETE, "9"))).isTrue();
        q.offer(item("b", Operations.UPDATE, "9"));
        assertThat(q.offer(item("b", Operations.UPDATE, "10"))).isTrue(); // 10 > 9 numerically, not as text
        q.offer(item("c", Operations.UPDATE, "9223372036854775807"));
        assertThat(q.offer(item("c", Operations.UPDATE, "18446744073709551615"))).isTrue(); // beyond signed long
        assertThat(q.poll(T0)).extracting(s -> s.item().operation() + ":" + s.item().resourceVersion())
                .containsExactly("delete:9", "update:10", "update:18446744073709551615");
    }

    @Test
    void oneUnacknowledgedObjectDoesNotBlockTheOthers() {
        NodeQueue q = queue(10);
        q.offer(item("stuck", Operations.INSERT, "1"));
        NodeQueue.Send stuck = q.poll(T0).get(0);
        // a newer state of the stuck object waits behind its unacknowledged one, others flow
        q.offer(item("stuck", Operations.UPDATE, "2"));
        q.offer(item("x", Operations.INSERT, "3"));
        List<NodeQueue.Send> next = q.poll(T0.plusSeconds(1));
        assertThat(next).extracting(s -> s.item().uid()).containsExactly("x");
        assertThat(q.complete(next.get(0).msgId())).isNotNull();
        q.offer(item("y", Operations.INSERT, "4"));
        assertThat(q.poll(T0.plusSeconds(2))).extracting(s -> s.item().uid()).containsExactly("y");
        assertThat(q.inFlightCount()).isEqualTo(2);
        // once the stuck one is acknowledged, its newer state goes
        assertThat(q.complete(stuck.msgId()).resourceVersion()).isEqualTo("1");
        assertThat(q.poll(T0.plusSeconds(3))).extracting(s -> s.item().resourceVersion()).containsExactly("2");
    }

    @Test
    void theWindowBoundsUnacknowledgedMessages() {
        NodeQueue q = queue(2);
        for (int i = 0; i < 5; i++) {
            q.offer(item("o" + i, Operations.INSERT, Integer.toString(i + 1)));
        }
        List<NodeQueue.Send> first = q.poll(T0);
        assertThat(first).hasSize(2);
        assertThat(q.poll(T0)).isEmpty();
        q.complete(first.get(0).msgId());
        assertThat(q.poll(T0)).extracting(s -> s.item().uid()).containsExactly("o2");
        assertThat(q.pendingCount()).isEqualTo(2);
    }

    @Test
    void aBudgetLimitsNewSendsButNotResends() {
        NodeQueue q = queue(10);
        for (int i = 0; i < 4; i++) {
            q.offer(item("o" + i, Operations.INSERT, Integer.toString(i + 1)));
        }
        assertThat(q.poll(T0, 1)).hasSize(1);
        assertThat(q.poll(T0, 0)).isEmpty();
        assertThat(q.poll(T0.plusSeconds(5), 0)).singleElement().satisfies(s -> assertThat(s.retry()).isTrue());
        assertThat(q.poll(T0.plusSeconds(5), 5)).hasSize(3);
    }

    @Test
    void unacknowledgedMessagesAreResentWithTheSameIdThenRequeuedWithBackoff() {
        NodeQueue q = queue(10);
        q.offer(item("a", Operations.INSERT, "1"));
        String id = q.poll(T0).get(0).msgId();
        assertThat(q.poll(T0.plusSeconds(4))).isEmpty();
        List<NodeQueue.Send> retry = q.poll(T0.plusSeconds(5));
        assertThat(retry).singleElement().satisfies(s -> {
            assertThat(s.retry()).isTrue();
            assertThat(s.msgId()).isEqualTo(id);
        });
        assertThat(q.poll(T0.plusSeconds(10))).hasSize(1); // third try
        assertThat(q.poll(T0.plusSeconds(15))).isEmpty(); // tries exhausted: back to pending, backing off
        assertThat(q.retries()).isEqualTo(2);
        assertThat(q.pendingCount()).isEqualTo(1);
        assertThat(q.poll(T0.plusSeconds(20))).isEmpty();
        List<NodeQueue.Send> again = q.poll(T0.plusSeconds(25));
        assertThat(again).singleElement().satisfies(s -> assertThat(s.msgId()).isNotEqualTo(id));
        // a late ACK of the abandoned id is ignored
        assertThat(q.complete(id)).isNull();
        assertThat(q.complete(again.get(0).msgId())).isNotNull();
        assertThat(q.busy()).isFalse();
    }

    @Test
    void afterADisconnectEverythingUnacknowledgedIsPendingAgainUnlessSuperseded() {
        NodeQueue q = queue(10);
        q.offer(item("a", Operations.INSERT, "1"));
        q.offer(item("b", Operations.INSERT, "2"));
        q.poll(T0);
        q.offer(item("b", Operations.UPDATE, "3"));
        q.reset();
        assertThat(q.inFlightCount()).isZero();
        assertThat(q.poll(T0)).extracting(s -> s.item().uid() + "@" + s.item().resourceVersion())
                .containsExactlyInAnyOrder("a@1", "b@3");
    }
}
