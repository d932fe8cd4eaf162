package io.kedge.common.kubeapi.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.Watch;
import io.kedge.common.kubeapi.WatchEvent;
import io.kedge.common.kubeapi.WatchListener;
import io.kedge.common.kubeapi.select.FieldSelector;
import io.kedge.common.kubeapi.select.LabelSelector;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch response: a chunked stream of JSON watch events, one per line
 * ({@code {"type":"ADDED","object":{...}}}), written without holding a thread. The store hands events
 * over on its writer thread; they are queued, and this callback writes them from Jetty's pool, one
 * write in flight at a time. Selectors are applied here, with Kubernetes' transitions: an object that
 * starts matching is ADDED, one that stops matching is DELETED.
 *
 * <p>The stream ends when the timeout passes, the client goes away (a write fails), the store closes
 * the watch, or the client reads too slowly ({@value #MAX_QUEUED} events pending): then the client
 * resumes from the last resourceVersion it saw, which the store's event window still holds.
 */
final class WatchStream extends IteratingCallback implements WatchListener {
    private static final Logger log = LoggerFactory.getLogger(WatchStream.class);
    static final int MAX_QUEUED = 10_000;
    private static final int MAX_BATCH_BYTES = 64 * 1024;

    /** What a watch request asked for. */
    record Options(LabelSelector labels, FieldSelector fields, boolean bookmarks, boolean initialEventsBookmark) {
    }

    private final Response response;
    private final Callback done;
    private final Executor executor;
    private final Renderer renderer;
    private final Options options;
    private final Runnable onEnd;
    private final ArrayDeque<WatchEvent> queue = new ArrayDeque<>();
    private final AtomicBoolean wakeScheduled = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile Watch storeWatch;
    private boolean started;
    private boolean ending;
    private ObjectNode error;
    private boolean lastWritten;
    private boolean headersSent;
    private boolean firstObject = true;

    WatchStream(Response response, Callback done, Executor executor, Renderer renderer, Options options, Runnable onEnd) {
        this.response = response;
        this.done = done;
        this.executor = executor;
        this.renderer = renderer;
        this.options = options;
        this.onEnd = onEnd;
    }

    /**
     * Opens the store's watch through {@code open} (which may deliver initial events right away) and
     * starts writing. A failure to open (410 Gone) is sent as an ERROR event, as Kubernetes does.
     */
    void start(Function<WatchListener, Watch> open) {
        try {
            storeWatch = open.apply(this);
        } catch (ApiException e) {
            synchronized (this) {
                error = e.toStatus();
                ending = true;
            }
        }
        synchronized (this) {
            started = true;
        }
        wake();
    }

    Watch storeWatch() {
        return storeWatch;
    }

    /** Ends the stream after what is queued (timeout, server stop). */
    void finish() {
        synchronized (this) {
            ending = true;
        }
        wake();
    }

    @Override
    public void onEvent(WatchEvent event) {
        synchronized (this) {
            if (ending) {
                return;
            }
            if (started && queue.size() >= MAX_QUEUED) {
                log.info("a watch client reads too slowly ({} events pending); ending its watch so that it resumes", queue.size());
                ending = true;
            } else {
                queue.addLast(event);
            }
        }
        wake();
    }

    @Override
    public void onClose(ApiException reason) {
        finish();
    }

    /** Runs {@link #iterate()} on the executor, never on the caller's (the store's) thread. */
    private void wake() {
        if (wakeScheduled.compareAndSet(false, true)) {
            try {
                executor.execute(() -> {
                    wakeScheduled.set(false);
                    iterate();
                });
            } catch (RuntimeException e) {
                wakeScheduled.set(false);
                abort(e);
            }
        }
    }

    @Override
    protected Action process() throws Throwable {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        boolean last;
        synchronized (this) {
            if (lastWritten) {
                return Action.SUCCEEDED;
            }
            if (!started) {
                return Action.IDLE;
            }
            if (error != null) {
                line(batch, "ERROR", error);
                error = null;
            }
            while (batch.size() < MAX_BATCH_BYTES && !queue.isEmpty()) {
                encode(queue.pollFirst(), batch);
            }
            last = ending && queue.isEmpty();
            if (batch.size() == 0 && !last && headersSent) {
                return Action.IDLE;
            }
            // The first write goes out even when empty: it sends the headers, so that a client sees
            // its watch accepted before the first event (kubeedge#4699: curl saw nothing).
            headersSent = true;
            lastWritten = last;
        }
        response.write(last, ByteBuffer.wrap(batch.toByteArray()), this);
        return Action.SCHEDULED;
    }

    private void encode(WatchEvent event, ByteArrayOutputStream out) throws JsonProcessingException {
        if (event.type() == WatchEvent.Type.BOOKMARK) {
            if (event.initialEventsEnd() ? options.initialEventsBookmark() : options.bookmarks()) {
                line(out, "BOOKMARK", renderer.bookmark(event.resourceVersion(), event.initialEventsEnd()));
            }
            return;
        }
        boolean now = matches(event.object());
        String type;
        switch (event.type()) {
            case ADDED -> type = now ? "ADDED" : null;
            case DELETED -> type = now || (event.previous() != null && matches(event.previous())) ? "DELETED" : null;
            default -> {
                boolean before = event.previous() != null && matches(event.previous());
                type = now && before ? "MODIFIED" : now ? "ADDED" : before ? "DELETED" : null;
            }
        }
        if (type != null) {
            line(out, type, renderer.watched(event.object(), firstObject));
            firstObject = false;
        }
    }

    private boolean matches(ObjectNode object) {
        return options.labels().matches(KubeObjects.labels(object)) && options.fields().matches(object);
    }

    private static void line(ByteArrayOutputStream out, String type, ObjectNode object) throws JsonProcessingException {
        ObjectNode event = KubeObjects.JSON.createObjectNode();
        event.put("type", type);
        event.set("object", object);
        out.writeBytes(KubeObjects.JSON.writeValueAsBytes(event));
        out.write('\n');
    }

    @Override
    protected void onCompleteSuccess() {
        end();
        done.succeeded();
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
        log.debug("watch stream ended: {}", cause.toString());
        end();
        done.failed(cause);
    }

    private void end() {
        if (ended.compareAndSet(false, true)) {
            Watch w = storeWatch;
            if (w != null) {
                w.close();
            }
            onEnd.run();
        }
    }
}
