package io.kedge.server.auth;

import io.kedge.server.stun.AttributeType;
import io.kedge.server.stun.ErrorCode;
import io.kedge.server.stun.IntegrityKey;
import io.kedge.server.stun.StunCodec;
import io.kedge.server.stun.StunMessage;
import java.net.InetAddress;
import java.time.Clock;

/**
 * The long-term credential mechanism on the server side (RFC 8489 section 9.2.4), in the RFC's
 * order: no integrity means a 401 challenge; missing USERNAME, REALM or NONCE is a 400; a stale or
 * foreign nonce a 438; an unknown user, a wrong MESSAGE-INTEGRITY or expired credentials a 401.
 * Nothing about the request is acted on unless its integrity checked out.
 */
public final class LongTermAuthenticator {
    /** RFC 8489 limits: usernames under 513 bytes, realm and nonce under 128 characters (763 bytes). */
    static final int MAX_USERNAME_BYTES = 512;
    static final int MAX_REALM_OR_NONCE_BYTES = 763;

    private final String realm;
    private final CredentialStore store;
    private final Nonces nonces;
    private final Clock clock;

    public LongTermAuthenticator(String realm, CredentialStore store, Nonces nonces, Clock clock) {
        this.realm = realm;
        this.store = store;
        this.nonces = nonces;
        this.clock = clock;
    }

    public String realm() {
        return realm;
    }

    public AuthOutcome authenticate(StunMessage request, InetAddress client) {
        long now = clock.instant().getEpochSecond();
        if (!request.hasIntegrity()) {
            return challenge(ErrorCode.UNAUTHORIZED, "authentication required", client, now, null);
        }
        byte[] username = request.value(AttributeType.USERNAME);
        byte[] requestRealm = request.value(AttributeType.REALM);
        byte[] nonce = request.value(AttributeType.NONCE);
        if (username == null || requestRealm == null || nonce == null) {
            return new AuthOutcome.Rejected(ErrorCode.BAD_REQUEST, "USERNAME, REALM and NONCE are required with MESSAGE-INTEGRITY",
                    null, null, "bad_request");
        }
        if (username.length > MAX_USERNAME_BYTES || requestRealm.length > MAX_REALM_OR_NONCE_BYTES
                || nonce.length > MAX_REALM_OR_NONCE_BYTES) {
            return new AuthOutcome.Rejected(ErrorCode.BAD_REQUEST, "USERNAME, REALM or NONCE too long", null, null, "bad_request");
        }
        if (!nonces.valid(request.string(AttributeType.NONCE), client, now)) {
            return challenge(ErrorCode.STALE_NONCE, ErrorCode.reason(ErrorCode.STALE_NONCE), client, now, null);
        }
        String name = request.string(AttributeType.USERNAME);
        CredentialLookup lookup = store.lookup(name, now);
        if (lookup.status() == CredentialLookup.Status.UNKNOWN) {
            return challenge(ErrorCode.UNAUTHORIZED, "unknown username", client, now, "unknown_user");
        }
        // The key uses the server's realm: a client that signed with another realm fails here.
        for (String password : lookup.passwords()) {
            byte[] key = StunCodec.longTermKey(name, realm, password);
            if (request.verifyIntegrity(key)) {
                if (lookup.status() == CredentialLookup.Status.EXPIRED) {
                    return challenge(ErrorCode.UNAUTHORIZED, "credentials expired", client, now, "expired");
                }
                return new AuthOutcome.Authenticated(name, lookup.principal(), new IntegrityKey(key, request.usesSha256Integrity()));
            }
        }
        return challenge(ErrorCode.UNAUTHORIZED, "wrong MESSAGE-INTEGRITY", client, now, "bad_integrity");
    }

    private AuthOutcome challenge(int code, String reason, InetAddress client, long now, String failure) {
        return new AuthOutcome.Rejected(code, reason, realm, nonces.issue(client, now), failure);
    }
}
