package io.kedge.common.kubeedge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * KubeEdge's join token: {@code <hex SHA-256 of the CA certificate DER>.<JWT>}, the JWT signed with
 * HS256 and carrying an {@code exp} claim. The edge uses the hash to check the CA it downloads
 * without trusting the network; the cloud checks the JWT before signing a node certificate.
 *
 * @param caHash hex SHA-256 of the CA certificate (DER)
 * @param jwt    the signed token
 */
public record JoinToken(String caHash, String jwt) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final String HEADER = B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

    /** Parses {@code hash.jwt}; checks the shape only (use {@link #verify} for the signature). */
    public static JoinToken parse(String token) throws MessageException {
        if (token == null) {
            throw new MessageException("token is missing");
        }
        String t = token.strip();
        int dot = t.indexOf('.');
        if (dot != 64 || !t.substring(0, 64).matches("[0-9a-f]{64}")) {
            throw new MessageException("token must start with the 64-hex-digit SHA-256 of the CA certificate and a '.'");
        }
        String jwt = t.substring(65);
        if (jwt.split("\\.", -1).length != 3) {
            throw new MessageException("token's second part is not a JWT (header.payload.signature)");
        }
        return new JoinToken(t.substring(0, 64), jwt);
    }

    /** Issues a token for the CA {@code caDer}, valid until {@code expiry}, signed with {@code secret}. */
    public static JoinToken issue(byte[] caDer, byte[] secret, Instant expiry) {
        ObjectNode claims = JSON.createObjectNode().put("exp", expiry.getEpochSecond()).put("iat", Instant.now().getEpochSecond());
        String payload = B64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        String signingInput = HEADER + "." + payload;
        return new JoinToken(sha256Hex(caDer), signingInput + "." + B64.encodeToString(hmac(secret, signingInput)));
    }

    /**
     * Checks the JWT's algorithm, signature (constant time) and expiry.
     *
     * @return the expiry
     * @throws MessageException saying which check failed
     */
    public Instant verify(byte[] secret, Instant now) throws MessageException {
        String[] parts = jwt.split("\\.", -1);
        JsonNode header;
        JsonNode claims;
        try {
            header = JSON.readTree(B64D.decode(parts[0]));
            claims = JSON.readTree(B64D.decode(parts[1]));
        } catch (Exception e) {
            throw new MessageException("token is not a readable JWT");
        }
        if (header == null || !"HS256".equals(header.path("alg").asText())) {
            throw new MessageException("token must be signed with HS256");
        }
        byte[] expected = hmac(secret, parts[0] + "." + parts[1]);
        byte[] actual;
        try {
            actual = B64D.decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new MessageException("token signature is not base64url");
        }
        if (!MessageDigest.isEqual(expected, actual)) {
            throw new MessageException("token signature is invalid");
        }
        if (claims == null || !claims.path("exp").canConvertToLong()) {
            throw new MessageException("token has no exp claim");
        }
        Instant exp = Instant.ofEpochSecond(claims.path("exp").asLong());
        if (!now.isBefore(exp)) {
            throw new MessageException("token expired at " + exp);
        }
        return exp;
    }

    /** Whether {@code caDer} is the CA this token names. */
    public boolean matchesCa(byte[] caDer) {
        return MessageDigest.isEqual(caHash.getBytes(StandardCharsets.US_ASCII), sha256Hex(caDer).getBytes(StandardCharsets.US_ASCII));
    }

    public static String sha256Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] secret, String input) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return caHash + "." + jwt;
    }
}
