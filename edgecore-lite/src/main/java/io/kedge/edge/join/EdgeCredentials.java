package io.kedge.edge.join;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/**
 * The node's TLS identity as KubeEdge keeps it: {@code rootCA.crt}, {@code server.crt} and
 * {@code server.key} (PEM) in the certificate directory.
 *
 * @param password protects the key in {@link #keyStore} (random, in memory only)
 */
public record EdgeCredentials(X509Certificate ca, X509Certificate certificate, PrivateKey key, char[] password) {
    public static final String CA_FILE = "rootCA.crt";
    public static final String CERT_FILE = "server.crt";
    public static final String KEY_FILE = "server.key";

    public static EdgeCredentials load(Path dir) {
        try {
            X509Certificate ca = readCertificate(dir.resolve(CA_FILE));
            X509Certificate cert = readCertificate(dir.resolve(CERT_FILE));
            PrivateKey key;
            try (Reader r = Files.newBufferedReader(dir.resolve(KEY_FILE)); PEMParser p = new PEMParser(r)) {
                Object o = p.readObject();
                if (o instanceof PEMKeyPair pair) {
                    key = new JcaPEMKeyConverter().getKeyPair(pair).getPrivate();
                } else if (o instanceof PrivateKeyInfo info) {
                    key = new JcaPEMKeyConverter().getPrivateKey(info);
                } else {
                    throw new IllegalStateException(dir.resolve(KEY_FILE) + " holds no unencrypted PEM private key");
                }
            }
            byte[] random = new byte[18];
            new SecureRandom().nextBytes(random);
            return new EdgeCredentials(ca, cert, key, Base64.getEncoder().encodeToString(random).toCharArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the node's certificates in " + dir + " (run edgecore-lite join first): "
                    + e.getMessage(), e);
        }
    }

    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        write(dir.resolve(CA_FILE), pem(ca), false);
        write(dir.resolve(KEY_FILE), pem(key), true);
        write(dir.resolve(CERT_FILE), pem(certificate), false);
    }

    public KeyStore keyStore() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("node", key, password, new X509Certificate[] {certificate, ca});
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public KeyStore trustStore() {
        return trustStore(ca);
    }

    public static KeyStore trustStore(X509Certificate ca) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("ca", ca);
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static X509Certificate readCertificate(Path file) throws IOException {
        try {
            String text = Files.readString(file);
            return parse(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + " is not a certificate: " + e.getMessage(), e);
        }
    }

    /** A certificate from DER or PEM bytes. */
    public static X509Certificate parse(byte[] derOrPem) throws GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(derOrPem));
    }

    static String pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            // Private keys as PKCS#8 ("PRIVATE KEY"): the SEC1 form BC would write carries no public key to read back.
            if (o instanceof java.security.PrivateKey key) {
                w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null).generate());
                w.flush();
                return out.toString();
            }
            w.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void write(Path file, String content, boolean secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(tmp, content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

}
