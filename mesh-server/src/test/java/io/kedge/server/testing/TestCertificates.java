package io.kedge.server.testing;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway ECDSA P-256 CA issuing KubeEdge-style node certificates, for mutual-TLS tests. */
public final class TestCertificates {
    public static final char[] PASSWORD = "test".toCharArray();
    private final KeyPair caKeys;
    private final X509Certificate ca;

    public TestCertificates(String caName) throws Exception {
        caKeys = keys();
        ca = sign(new X500Name("CN=" + caName), caKeys, new X500Name("CN=" + caName), caKeys, true);
    }

    public X509Certificate ca() {
        return ca;
    }

    /** Writes the CA certificate as PEM. */
    public Path writeCa(Path dir) throws Exception {
        Path file = dir.resolve("rootCA.crt");
        Files.writeString(file, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(ca.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        return file;
    }

    /** A key store holding a key and a certificate with {@code subject} (e.g. CN=system:node:a, O=system:nodes) signed by this CA. */
    public KeyStore identity(String subject) throws Exception {
        KeyPair leaf = keys();
        X509Certificate cert = sign(new X500Name(subject), leaf, new X500Name(ca.getSubjectX500Principal().getName()), caKeys, false);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("node", leaf.getPrivate(), PASSWORD, new Certificate[] {cert, ca});
        return ks;
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return g.generateKeyPair();
    }

    private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys, boolean isCa)
            throws Exception {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(1))), subject, subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA")
                .build(issuerKeys.getPrivate())));
    }
}
