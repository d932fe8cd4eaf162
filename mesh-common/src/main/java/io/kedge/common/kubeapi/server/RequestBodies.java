package io.kedge.common.kubeapi.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.KubeObjects;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * Reads request bodies: never more than the configured limit (413 beyond it, before parsing), JSON or
 * YAML by Content-Type, and every syntax problem a 400 naming where it is. Protobuf (which only
 * Go clients send, and only when asked to) is refused with 415.
 */
final class RequestBodies {
    private static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build()).build())
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final long maxBytes;

    RequestBodies(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The raw body, at most {@code maxBytes}. */
    byte[] read(Request request) {
        long declared = request.getLength();
        try (InputStream in = Content.Source.asInputStream(request)) {
            if (declared > maxBytes) {
                throw tooLarge(in);
            }
            byte[] buffer = new byte[(int) Math.min(maxBytes + 1, declared >= 0 ? declared + 1 : 64 * 1024)];
            int filled = 0;
            while (true) {
                if (filled == buffer.length) {
                    if (buffer.length > maxBytes) {
                        throw tooLarge(in);
                    }
                    buffer = Arrays.copyOf(buffer, (int) Math.min(maxBytes + 1, (long) buffer.length * 2));
                }
                int n = in.read(buffer, filled, buffer.length - filled);
                if (n < 0) {
                    break;
                }
                filled += n;
                if (filled > maxBytes) {
                    throw tooLarge(in);
                }
            }
            return Arrays.copyOf(buffer, filled);
        } catch (IOException e) {
            throw ApiException.badRequest("could not read the request body: " + e.getMessage());
        }
    }

    /** Parses the body as the Content-Type says (JSON when absent). */
    JsonNode parse(Request request, byte[] body) {
        if (body.length == 0) {
            throw ApiException.badRequest("the request body is empty");
        }
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        String bare = type == null ? "application/json" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        boolean yaml = bare.equals("application/yaml") || bare.equals("application/apply-patch+yaml") || bare.equals("text/yaml");
        if (bare.equals("application/vnd.kubernetes.protobuf")) {
            throw ApiException.unsupportedMediaType("protobuf bodies are not supported; send application/json");
        }
        if (!yaml && !bare.equals("application/json") && !bare.endsWith("+json")) {
            throw ApiException.unsupportedMediaType("unsupported Content-Type \"" + type + "\"; send application/json or application/yaml");
        }
        try {
            JsonNode node = (yaml ? YAML : KubeObjects.JSON).readTree(body);
            if (node == null || node.isMissingNode()) {
                throw ApiException.badRequest("the request body is empty");
            }
            return node;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw ApiException.badRequest("the request body is not valid " + (yaml ? "YAML" : "JSON") + where + ": "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("could not read the request body: " + e.getMessage());
        }
    }

    /**
     * The refusal for an oversized body. The rest of the body is read and dropped first (up to a bound)
     * so that closing the connection does not reset it before the client has read the 413.
     */
    private ApiException tooLarge(InputStream in) {
        drain(in);
        return tooLarge();
    }

    /**
     * Reads and drops what is left of a request's body before an error answer, so that the connection
     * stays usable: a server that answers with part of the body unread ends up closing the connection
     * after the answer, and a client that already reused it for its next request sees it drop.
     *
     * @return whether the body's end was reached (false: the connection should close after the answer)
     */
    boolean discardRest(Request request) {
        if (request.getLength() == 0) {
            return true;
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            return drain(in);
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads {@code in} to its end, up to a bound; whether the end was reached. */
    private boolean drain(InputStream in) {
        byte[] scratch = new byte[16 * 1024];
        long drained = 0;
        long bound = Math.max(4 * maxBytes, 1 << 20);
        try {
            int n;
            while (drained < bound) {
                n = in.read(scratch);
                if (n < 0) {
                    return true;
                }
                drained += n;
            }
        } catch (IOException ignored) {
            // the client went away; the answer is then moot
        }
        return false;
    }

    private ApiException tooLarge() {
        return ApiException.tooLarge("the request body is larger than " + maxBytes + " bytes");
    }
}
