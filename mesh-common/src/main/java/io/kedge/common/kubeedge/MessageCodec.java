package io.kedge.common.kubeedge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Reads and writes {@link Message}s. Decoding is strict about what matters (an id, a route with a
 * known operation and a resource, a bounded size and nesting depth) and lenient about unknown extra
 * fields, so newer peers interoperate.
 */
public final class MessageCodec {
    /** Larger frames are refused: no object the cloud syncs comes near this. */
    public static final int MAX_FRAME_CHARS = 8 * 1024 * 1024;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(200).maxStringLength(MAX_FRAME_CHARS).maxNumberLength(100).build());
    }

    private MessageCodec() {
    }

    public static ObjectMapper mapper() {
        return JSON;
    }

    public static String encode(Message message) {
        try {
            return JSON.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode message " + message.msgId(), e);
        }
    }

    public static Message decode(String frame) throws MessageException {
        if (frame == null || frame.isEmpty()) {
            throw new MessageException("empty frame");
        }
        if (frame.length() > MAX_FRAME_CHARS) {
            throw new MessageException("frame of " + frame.length() + " characters exceeds the limit of " + MAX_FRAME_CHARS);
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(frame);
        } catch (JsonProcessingException e) {
            throw new MessageException("not JSON: " + e.getOriginalMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw new MessageException("a message must be a JSON object");
        }
        Message m;
        try {
            m = JSON.treeToValue(tree, Message.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new MessageException("malformed message: " + e.getMessage().split("\n")[0]);
        }
        validate(m);
        return m;
    }

    static void validate(Message m) throws MessageException {
        if (m.header() == null || blank(m.header().msgId())) {
            throw new MessageException("header.msg_id is missing");
        }
        if (m.header().msgId().length() > 128) {
            throw new MessageException("header.msg_id is longer than 128 characters");
        }
        if (m.route() == null || blank(m.route().operation())) {
            throw new MessageException("route.operation is missing");
        }
        if (!Operations.ALL.contains(m.route().operation())) {
            throw new MessageException("unknown operation \"" + m.route().operation() + "\"");
        }
        if (m.route().resource() == null) {
            throw new MessageException("route.resource is missing");
        }
        if (m.route().resource().length() > 1024) {
            throw new MessageException("route.resource is longer than 1024 characters");
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
