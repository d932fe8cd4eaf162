package io.kedge.server.testing;

import io.kedge.server.stun.AttributeType;
import io.kedge.server.stun.IntegrityKey;
import io.kedge.server.stun.StunCodec;
import io.kedge.server.stun.StunMessage;
import io.kedge.server.stun.StunParseException;
import java.io.UncheckedIOException;
import java.io.IOException;

/** Builds requests as a client would send them: signed with long-term credentials and re-decoded. */
public final class Requests {
    private Requests() {
    }

    /** {@code builder} plus USERNAME, REALM and NONCE, signed with the long-term key, as received bytes. */
    public static StunMessage signed(StunMessage.Builder builder, String username, String realm, String password, String nonce) {
        builder.string(AttributeType.USERNAME, username).string(AttributeType.REALM, realm).string(AttributeType.NONCE, nonce);
        byte[] key = StunCodec.longTermKey(username, realm, password);
        return received(StunCodec.encode(builder.build(), new IntegrityKey(key, false), true));
    }

    /** {@code builder} without integrity, as received bytes. */
    public static StunMessage unsigned(StunMessage.Builder builder) {
        return received(StunCodec.encode(builder.build(), null, true));
    }

    public static StunMessage received(byte[] bytes) {
        try {
            return StunCodec.decode(bytes, 0, bytes.length);
        } catch (StunParseException e) {
            throw new UncheckedIOException(new IOException("test built a malformed message: " + e.getMessage()));
        }
    }
}
