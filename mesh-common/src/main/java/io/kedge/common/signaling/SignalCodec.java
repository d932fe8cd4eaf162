package io.kedge.common.signaling;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.List;

/**
 * JSON for {@link SignalMessage}s, with the limits both sides enforce: a frame is at most
 * {@link #MAX_FRAME} bytes, names and fields are bounded, and anything else is a
 * {@link SignalException} (the connection's owner answers or closes; nothing is thrown further).
 * Unknown fields are ignored, so newer peers can add some.
 */
public final class SignalCodec {
    /** Largest frame (the JSON bytes after the 4-byte length) either side accepts. */
    public static final int MAX_FRAME = 64 * 1024;
    static final int MAX_NAME = 253;
    static final int MAX_FIELD = 512;
    static final int MAX_CANDIDATES = 64;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxStringLength(MAX_FRAME).build());
    }

    private SignalCodec() {
    }

    public static byte[] encode(SignalMessage message) {
        try {
            return JSON.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + message.getClass().getSimpleName(), e);
        }
    }

    /** Parses and checks one frame. */
    public static SignalMessage decode(byte[] frame) throws SignalException {
        if (frame.length > MAX_FRAME) {
            throw new SignalException("frame of " + frame.length + " bytes exceeds " + MAX_FRAME);
        }
        SignalMessage m;
        try {
            m = JSON.readValue(frame, SignalMessage.class);
        } catch (IOException e) {
            throw new SignalException("not a signaling message: " + firstLine(e.getMessage()));
        }
        if (m == null) {
            throw new SignalException("not a signaling message: null");
        }
        validate(m);
        return m;
    }

    static void validate(SignalMessage m) throws SignalException {
        if (m instanceof SignalMessage.Register r) {
            name("node", r.node());
            optional("token", r.token());
            list("addresses", r.addresses());
        } else if (m instanceof SignalMessage.Registered r) {
            optional("server", r.server());
            optional("observed", r.observed());
        } else if (m instanceof SignalMessage.Description d) {
            name("to", d.to());
            optional("from", d.from());
            field("session", d.session());
            require(d.kind() != null && SignalMessage.Description.KINDS.contains(d.kind()),
                    "kind must be offer, answer, upgrade-offer or upgrade-answer, got " + d.kind());
            field("ufrag", d.ufrag());
            field("pwd", d.pwd());
            optional("fingerprint", d.fingerprint());
            list("candidates", d.candidates());
        } else if (m instanceof SignalMessage.Candidate c) {
            name("to", c.to());
            optional("from", c.from());
            field("session", c.session());
            field("candidate", c.candidate());
        } else if (m instanceof SignalMessage.Bye b) {
            name("to", b.to());
            optional("from", b.from());
            field("session", b.session());
            optional("reason", b.reason());
        } else if (m instanceof SignalMessage.Credentials c) {
            require(c.credentials() != null, "credentials missing");
        } else if (m instanceof SignalMessage.Failure f) {
            field("code", f.code());
            optional("message", f.message());
        }
    }

    private static void name(String key, String value) throws SignalException {
        require(value != null && !value.isEmpty(), key + " is missing");
        require(value.length() <= MAX_NAME && value.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f),
                key + " must be 1 to " + MAX_NAME + " printable ASCII characters");
    }

    private static void field(String key, String value) throws SignalException {
        require(value != null && !value.isEmpty(), key + " is missing");
        optional(key, value);
    }

    private static void optional(String key, String value) throws SignalException {
        require(value == null || value.length() <= MAX_FIELD, key + " is longer than " + MAX_FIELD + " characters");
    }

    private static void list(String key, List<String> values) throws SignalException {
        require(values.size() <= MAX_CANDIDATES, key + " has more than " + MAX_CANDIDATES + " entries");
        for (String v : values) {
            field(key + "[]", v);
        }
    }

    private static void require(boolean condition, String problem) throws SignalException {
        if (!condition) {
            throw new SignalException(problem);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
