package io.kedge.common.kubeedge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KubeEdgeWireTest {
    @Test
    void messagesRoundTripInKubeEdgeFieldNames() throws Exception {
        Message m = Message.create("edgecontroller", "resource", "update", "default/service/web", "42",
                JsonNodeFactory.instance.objectNode().put("kind", "Service"));
        String json = MessageCodec.encode(m);
        assertThat(json).contains("\"msg_id\"", "\"resourceversion\":\"42\"", "\"route\"", "\"operation\":\"update\"")
                .doesNotContain("parent_msg_id");
        assertThat(MessageCodec.decode(json)).isEqualTo(m);

        Message ack = m.ack();
        assertThat(ack.header().parentMsgId()).isEqualTo(m.msgId());
        assertThat(ack.msgId()).isNotEqualTo(m.msgId());
        assertThat(ack.route().operation()).isEqualTo("response");
        assertThat(ack.route().resource()).isEqualTo("default/service/web");
        assertThat(ack.content().asText()).isEqualTo("OK");
        assertThat(ack.isReply()).isTrue();
        assertThat(m.error("bad").route().operation()).isEqualTo("error");
    }

    @Test
    void readsAKubeEdgeKeepalive() throws Exception {
        Message m = MessageCodec.decode("{\"header\":{\"msg_id\":\"1\",\"timestamp\":1700000000000,\"sync\":false},"
                + "\"route\":{\"source\":\"websocket\",\"group\":\"resource\",\"operation\":\"keepalive\",\"resource\":\"node\"},"
                + "\"content\":\"ping\",\"extra\":1}");
        assertThat(m.operation()).isEqualTo(Operations.KEEPALIVE);
        assertThat(m.content().asText()).isEqualTo("ping");
    }

    @Test
    void badFramesGetClearReasons() {
        assertThatThrownBy(() -> MessageCodec.decode("")).hasMessage("empty frame");
        assertThatThrownBy(() -> MessageCodec.decode("[1]")).hasMessage("a message must be a JSON object");
        assertThatThrownBy(() -> MessageCodec.decode("{\"header\":{}}")).hasMessage("header.msg_id is missing");
        assertThatThrownBy(() -> MessageCodec.decode("{\"header\":{\"msg_id\":\"1\"},\"route\":{\"operation\":\"explode\",\"resource\":\"x\"}}"))
                .hasMessage("unknown operation \"explode\"");
        assertThatThrownBy(() -> MessageCodec.decode("{\"header\":{\"msg_id\":\"1\"},\"route\":{\"operation\":\"insert\"}}"))
                .hasMessage("route.resource is missing");
        assertThatThrownBy(() -> MessageCodec.decode("{\"header\":{\"msg_id\":\"1\",\"timestamp\":\"soon\"}}"))
                .hasMessageStartingWith("malformed message");
        assertThatThrownBy(() -> MessageCodec.decode("{" + "\"a\":[".repeat(500))).isInstanceOf(MessageException.class);
        assertThatThrownBy(() -> MessageCodec.decode("x".repeat(MessageCodec.MAX_FRAME_CHARS + 1))).hasMessageContaining("exceeds the limit");
        Random random = new Random(7);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = new byte[random.nextInt(200)];
            random.nextBytes(junk);
            String frame = new String(junk, StandardCharsets.ISO_8859_1);
            try {
                MessageCodec.decode(frame);
            } catch (MessageException expected) {
                // the only acceptable failure
            }
        }
    }

    @Test
    void resourcePaths() throws Exception {
        ResourcePath p = ResourcePath.parse("node/edge-1/default/service/web");
        assertThat(p).isEqualTo(new ResourcePath("edge-1", "default", "service", "web"));
        assertThat(p.edgeForm()).isEqualTo("default/service/web");
        ResourcePath node = ResourcePath.parse("null/node/edge-1");
        assertThat(node.namespace()).isNull();
        assertThat(node.cloudForm("edge-1")).isEqualTo("node/edge-1/null/node/edge-1");
        assertThatThrownBy(() -> ResourcePath.parse("service")).isInstanceOf(MessageException.class);
        assertThatThrownBy(() -> ResourcePath.parse("node/edge-1")).isInstanceOf(MessageException.class);
    }

    @Test
    void joinTokensIssueVerifyAndRefuse() throws Exception {
        byte[] ca = "ca-certificate-der".getBytes(StandardCharsets.UTF_8);
        byte[] secret = "s3cret-s3cret-s3cret-s3cret-0123".getBytes(StandardCharsets.UTF_8);
        Instant now = Instant.parse("2026-11-23T12:00:00Z");
        JoinToken token = JoinToken.issue(ca, secret, now.plusSeconds(86400));
        JoinToken parsed = JoinToken.parse(token.toString());
        assertThat(parsed.matchesCa(ca)).isTrue();
        assertThat(parsed.matchesCa("other".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(parsed.verify(secret, now)).isEqualTo(now.plusSeconds(86400));

        assertThatThrownBy(() -> parsed.verify(secret, now.plusSeconds(86401))).hasMessageStartingWith("token expired");
        assertThatThrownBy(() -> parsed.verify("wrong".getBytes(StandardCharsets.UTF_8), now)).hasMessage("token signature is invalid");
        String tampered = token.toString().substring(0, token.toString().length() - 2) + "AA";
        assertThatThrownBy(() -> JoinToken.parse(tampered).verify(secret, now)).hasMessage("token signature is invalid");
        assertThatThrownBy(() -> JoinToken.parse("abc.def")).hasMessageStartingWith("token must start with");
        assertThatThrownBy(() -> JoinToken.parse("a".repeat(64) + ".notajwt")).hasMessageContaining("not a JWT");
        String noneAlg = "a".repeat(64) + ".eyJhbGciOiJub25lIn0.eyJleHAiOjk5OTk5OTk5OTl9.";
        assertThatThrownBy(() -> JoinToken.parse(noneAlg).verify(secret, now)).hasMessage("token must be signed with HS256");
    }

    @Test
    void resourceVersionsCompareUnsigned() {
        assertThat(ResourceVersions.newer("10", "9")).isTrue();
        assertThat(ResourceVersions.newer("9", "10")).isFalse();
        assertThat(ResourceVersions.newer("18446744073709551615", "9223372036854775808")).isTrue();
        assertThat(ResourceVersions.newer("5", null)).isTrue();
        assertThat(ResourceVersions.newer("x", "1")).isFalse();
        assertThat(ResourceVersions.valid("18446744073709551616")).isFalse();
    }
}
