package io.kedge.common.kubeedge;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.UUID;

/**
 * KubeEdge's message envelope: one JSON object per WebSocket text frame between CloudHub and EdgeHub.
 *
 * <pre>
 * { "header":  { "msg_id", "parent_msg_id" (replies), "timestamp" (epoch ms), "resourceversion", "sync" },
 *   "route":   { "source", "destination", "group", "operation", "resource" },
 *   "content": any JSON value }
 * </pre>
 */
public record Message(Header header, Route route, JsonNode content) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Header(@JsonProperty("msg_id") String msgId,
                         @JsonProperty("parent_msg_id") String parentMsgId,
                         @JsonProperty("timestamp") long timestamp,
                         @JsonProperty("resourceversion") String resourceVersion,
                         @JsonProperty("sync") boolean sync) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Route(@JsonProperty("source") String source,
                        @JsonProperty("destination") String destination,
                        @JsonProperty("group") String group,
                        @JsonProperty("operation") String operation,
                        @JsonProperty("resource") String resource) {
    }

    /** A new message with a fresh id and the current time. */
    public static Message create(String source, String group, String operation, String resource, String resourceVersion,
                                 JsonNode content) {
        return new Message(new Header(UUID.randomUUID().toString(), null, System.currentTimeMillis(), resourceVersion, false),
                new Route(source, null, group, operation, resource), content);
    }

    /** KubeEdge's acknowledgement: new id, parent = this id, same source/group/resource, operation response, "OK". */
    public Message ack() {
        return reply(Operations.RESPONSE, TextNode.valueOf("OK"));
    }

    /** An error reply to this message, with a reason people can read. */
    public Message error(String reason) {
        return reply(Operations.ERROR, TextNode.valueOf(reason));
    }

    private Message reply(String operation, JsonNode body) {
        return new Message(new Header(UUID.randomUUID().toString(), header.msgId(), System.currentTimeMillis(),
                header.resourceVersion(), false),
                new Route(route.source(), null, route.group(), operation, route.resource()), body);
    }

    public boolean isReply() {
        return header.parentMsgId() != null && !header.parentMsgId().isEmpty();
    }

    public String operation() {
        return route.operation();
    }

    public String resource() {
        return route.resource();
    }

    public String msgId() {
        return header.msgId();
    }
}
