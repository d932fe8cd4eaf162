package io.kedge.server.net;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Server TLS contexts for TURN over TLS: from PEM files, or self-signed for tests and first runs. */
public final class TlsContexts {
    private TlsContexts() {
    }

    /** From a PEM certificate chain and a PEM private key (PKCS#8, or PKCS#1 and SEC1 through Bouncy Castle). */
    public static SslContext fromPem(File certificateChain, File privateKey) throws SSLException {
        return builderFromPem(certificateChain, privateKey).build();
    }

    /** A builder with that certificate and key, for callers that add client authentication. */
    public static SslContextBuilder builderFromPem(File certificateChain, File privateKey) {
        return SslContextBuilder.forServer(certificateChain, privateKey);
    }

    /** A self-signed EC P-256 certificate for {@code addresses}, valid for a year. */
    public static SslContext selfSigned(List<InetAddress> addresses) throws SSLException {
        return selfSignedBuilder(addresses).build();
    }

    /** A builder with a fresh self-signed certificate, for callers that add client authentication. */
    public static SslContextBuilder selfSignedBuilder(List<InetAddress> addresses) throws SSLException {
        KeyPair keys;
        X509Certificate certificate;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            keys = generator.generateKeyPair();
            X500Name name = new X500Name("CN=kedge mesh-server");
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(365))), name, keys.getPublic());
            List<GeneralName> names = new ArrayList<>();
            names.add(new GeneralName(GeneralName.dNSName, "mesh-server"));
            for (InetAddress a : addresses) {
                names.add(new GeneralName(GeneralName.iPAddress, a.getHostAddress()));
            }
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
            certificate = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
            throw new SSLException("cannot generate a self-signed certificate: " + e.getMessage(), e);
        }
        return SslContextBuilder.forServer(keys.getPrivate(), certificate);
    }
}
