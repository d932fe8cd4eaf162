package io.kedge.cloud.hub;

import io.kedge.cloud.sync.SyncController;
import io.kedge.common.kubeedge.Message;
import io.kedge.common.kubeedge.MessageCodec;
import io.kedge.common.kubeedge.MessageException;
import io.kedge.common.kubeedge.Operations;
import java.time.Instant;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One edge node's WebSocket session: ACKs and refusals go to the sync controller, keepalives to the
 * node lifecycle; a frame that is not a valid message closes the session (1007) with the reason, and
 * a valid message of an operation cloudcore-lite does not serve gets an error reply.
 */
public final class NodeSession implements Session.Listener.AutoDemanding, SyncController.Outbound {
    private static final Logger log = LoggerFactory.getLogger(NodeSession.class);

    private final CloudHub hub;
    private final String node;
    private final String remoteAddress;
    private volatile Session session;
    private volatile Instant lastReceived;

    NodeSession(CloudHub hub, String node, String remoteAddress) {
        this.hub = hub;
        this.node = node;
        this.remoteAddress = remoteAddress;
        this.lastReceived = hub.clock().instant();
    }

    String node() {
        return node;
    }

    Instant lastReceived() {
        return lastReceived;
    }

    @Override
    public void onWebSocketOpen(Session s) {
        this.session = s;
        hub.opened(this, remoteAddress);
    }

    @Override
    public void onWebSocketText(String text) {
        lastReceived = hub.clock().instant();
        Message m;
        try {
            m = MessageCodec.decode(text);
        } catch (MessageException e) {
            hub.badFrames.inc();
            log.warn("node {} sent a bad frame: {}", node, e.getMessage());
            close(1007, truncate("bad frame: " + e.getMessage()));
            return;
        }
        hub.received.labelValues(m.operation()).inc();
        switch (m.operation()) {
            case Operations.RESPONSE, Operations.ERROR -> {
                if (m.isReply()) {
                    hub.sync().reply(node, m);
                }
            }
            case Operations.KEEPALIVE -> {
                if (hub.lifecycle() != null) {
                    hub.lifecycle().heartbeat(node);
                }
            }
            default -> send(MessageCodec.encode(m.error("cloudcore-lite does not accept " + m.operation() + " of " + m.resource())));
        }
        if (hub.lifecycle() != null && !Operations.KEEPALIVE.equals(m.operation())) {
            hub.lifecycle().heartbeat(node);
        }
    }

    @Override
    public void onWebSocketPing(java.nio.ByteBuffer payload) {
        lastReceived = hub.clock().instant();
        Session s = session;
        if (s != null) {
            s.sendPong(payload, Callback.NOOP);
        }
    }

    @Override
    public void onWebSocketPong(java.nio.ByteBuffer payload) {
        lastReceived = hub.clock().instant();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        hub.closed(this, statusCode, reason);
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        log.debug("node {} session error: {}", node, cause.toString());
    }

    @Override
    public void send(String frame) {
        Session s = session;
        if (s == null || !s.isOpen()) {
            return; // the message stays unacknowledged and is sent again after reconnecting
        }
        s.sendText(frame, Callback.from(() -> { }, failure -> log.debug("send to {} failed: {}", node, failure.toString())));
    }

    void close(int code, String reason) {
        Session s = session;
        if (s != null) {
            s.close(code, reason, Callback.NOOP);
        }
    }

    private static String truncate(String reason) {
        // A close reason must fit in a control frame (123 bytes).
        return reason.length() > 120 ? reason.substring(0, 120) : reason;
    }
}
