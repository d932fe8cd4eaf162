package io.kedge.agent.tunnel;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * This agent's certificate for the tunnel's QUIC handshakes: self-signed, made at start. Its
 * fingerprint travels in the ICE offer or answer over the authenticated signaling connection, and
 * each side pins the other's fingerprint (as WebRTC does with DTLS; {@link QuicTls}), so a tunnel is as
 * authenticated as signaling, whether that uses node certificates or a join token.
 */
final class TunnelCertificate {
    private final KeyPair keys;
    private final X509Certificate certificate;
    private final String fingerprint;

    TunnelCertificate(String nodeName) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            keys = generator.generateKeyPair();
            X500Name name = new X500Name("CN=kedge-tunnel");
            Instant now = Instant.now();
            certificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                    new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(3650))), name, keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
            fingerprint = fingerprintOf(certificate);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the tunnel certificate for " + nodeName, e);
        }
    }

    KeyPair keys() {
        return keys;
    }

    X509Certificate certificate() {
        return certificate;
    }

    /** {@code sha-256 AB:CD:...} (RFC 8122 form). */
    String fingerprint() {
        return fingerprint;
    }

    static String fingerprintOf(X509Certificate c) throws CertificateException {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
            return "sha-256 " + HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new CertificateException(e);
        }
    }
}
