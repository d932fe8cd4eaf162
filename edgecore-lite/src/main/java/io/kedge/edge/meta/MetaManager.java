package io.kedge.edge.meta;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeedge.Message;
import io.kedge.common.kubeedge.MessageException;
import io.kedge.common.kubeedge.Operations;
import io.kedge.common.kubeedge.ResourcePath;
import io.kedge.common.kubeedge.ResourceVersions;
import io.kedge.common.kubeedge.SyncedTypes;
import io.kedge.edge.metaserver.LocalView;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KubeEdge's MetaManager: takes the cloud's object messages, stores them in the node's SQLite copy
 * (in batches, one transaction each), updates the metaServer's view, and only then answers each
 * message: an ACK, or an error reply for a message it cannot use (unknown type, no version, not an
 * object). A failed commit answers nothing, so the cloud sends again.
 */
public final class MetaManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetaManager.class);
    private static final int BATCH = 256;

    private record Incoming(Message message, Consumer<Message> reply) {
    }

    private record Parsed(Incoming in, ResourceType type, MetaStore.Change change) {
    }

    private final MetaStore store;
    private final LocalView view;
    private final BlockingQueue<Incoming> queue = new ArrayBlockingQueue<>(16_384);
    private final Thread worker;
    private final Counter applied;
    private final Counter answered;
    private final Counter viewErrors;
    private volatile boolean closed;

    public MetaManager(MetaStore store, LocalView view, PrometheusRegistry metrics) {
        this.store = store;
        this.view = view;
        applied = Counter.builder().name("kedge_meta_changes_total").help("Object changes from the cloud, by result (applied, stale)")
                .labelNames("result").register(metrics);
        answered = Counter.builder().name("kedge_meta_replies_total").help("Replies to the cloud, by operation (response = ACK, error)")
                .labelNames("operation").register(metrics);
        viewErrors = Counter.builder().name("kedge_meta_view_errors_total")
                .help("Stored changes the metaServer view could not take (the SQLite copy has them)").register(metrics);
        GaugeWithCallback.builder().name("kedge_meta_objects").help("Live objects in the node's store").callback(cb -> cb.call(store.count()))
                .register(metrics);
        GaugeWithCallback.builder().name("kedge_meta_queue_depth").help("Messages waiting for the MetaManager")
                .callback(cb -> cb.call(queue.size())).register(metrics);
        worker = new Thread(this::run, "metamanager");
        worker.setDaemon(true);
    }

    /** Loads the stored copy into the view (at start, before serving) and starts taking messages. */
    public void start() {
        int n = 0;
        for (MetaStore.Stored s : store.live()) {
            ResourceType type = SyncedTypes.byName(s.kubeEdgeType()).orElse(null);
            if (type == null) {
                continue;
            }
            try {
                view.put(type, s.object());
                n++;
            } catch (RuntimeException e) {
                viewErrors.inc();
                log.warn("stored object {} does not fit the view: {}", s.path(), e.getMessage());
            }
        }
        log.info("loaded {} objects from the node's store", n);
        worker.start();
    }

    /**
     * Takes a message from the cloud; {@code reply} gets the ACK or error once it is stored. When the
     * queue is full the message is dropped unanswered (the cloud sends it again) rather than blocking the link.
     */
    public boolean submit(Message message, Consumer<Message> reply) {
        return queue.offer(new Incoming(message, reply));
    }

    private void run() {
        List<Incoming> batch = new ArrayList<>(BATCH);
        while (!closed) {
            try {
                Incoming first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                process(batch);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("MetaManager batch failed (unanswered: the cloud sends again)", e);
            } finally {
                batch.clear();
            }
        }
    }

    private void process(List<Incoming> batch) {
        List<Parsed> parsed = new ArrayList<>();
        for (Incoming in : batch) {
            try {
                parsed.add(parse(in));
            } catch (MessageException e) {
                answer(in, in.message().error(e.getMessage()));
            }
        }
        if (parsed.isEmpty()) {
            return;
        }
        List<MetaStore.Change> changes = new ArrayList<>(parsed.size());
        parsed.forEach(p -> changes.add(p.change()));
        boolean[] done = store.apply(changes); // throws: nothing answered, the cloud retries
        for (int i = 0; i < parsed.size(); i++) {
            Parsed p = parsed.get(i);
            applied.labelValues(done[i] ? "applied" : "stale").inc();
            if (done[i]) {
                try {
                    if (p.change().delete()) {
                        view.remove(p.type(), p.change().namespace(), p.change().name());
                    } else {
                        view.put(p.type(), p.change().object());
                    }
                } catch (RuntimeException e) {
                    viewErrors.inc();
                    log.warn("the view could not take {}: {}", p.change().path(), e.getMessage());
                }
            }
            answer(p.in(), p.in().message().ack());
        }
    }

    private void answer(Incoming in, Message reply) {
        answered.labelValues(reply.operation()).inc();
        try {
            in.reply().accept(reply);
        } catch (RuntimeException e) {
            log.debug("reply not sent: {}", e.toString());
        }
    }

    static Parsed parse(Incoming in) throws MessageException {
        Message m = in.message();
        String op = m.operation();
        boolean delete = Operations.DELETE.equals(op);
        if (!delete && !Operations.INSERT.equals(op) && !Operations.UPDATE.equals(op) && !Operations.PATCH.equals(op)) {
            throw new MessageException("MetaManager does not take " + op);
        }
        ResourcePath path = ResourcePath.parse(m.resource());
        ResourceType type = SyncedTypes.byName(path.type())
                .orElseThrow(() -> new MessageException("unknown resource type \"" + path.type() + "\""));
        if (path.name().isEmpty()) {
            throw new MessageException("resource \"" + m.resource() + "\" names no object");
        }
        String rv = m.header().resourceVersion();
        if (!ResourceVersions.valid(rv)) {
            throw new MessageException("header.resourceversion \"" + rv + "\" is not an unsigned 64-bit number");
        }
        ObjectNode object = null;
        if (m.content() instanceof ObjectNode o) {
            object = o;
            if (!path.name().equals(KubeObjects.name(o))
                    || (type.namespaced() && !String.valueOf(path.namespace()).equals(String.valueOf(KubeObjects.namespace(o))))) {
                throw new MessageException("the object is not the one the resource path \"" + m.resource() + "\" names");
            }
        } else if (!delete) {
            throw new MessageException("an " + op + " must carry the object");
        }
        String ns = type.namespaced() ? path.namespace() : null;
        return new Parsed(in, type, new MetaStore.Change(path.edgeForm(), path.type(), ns, path.name(), rv, delete, object));
    }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        try {
            worker.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
