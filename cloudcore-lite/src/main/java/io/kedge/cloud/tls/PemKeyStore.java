package io.kedge.cloud.tls;

import io.kedge.common.config.ConfigException;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A server key store built from PEM files as KubeEdge and openssl write them: a certificate (chain)
 * and a private key in PKCS#8, SEC1 (EC) or PKCS#1 (RSA) form. Bad files are configuration errors
 * naming the key and the file.
 */
public final class PemKeyStore {
    /** The key store and the (random) password protecting its key. */
    public record Loaded(KeyStore keyStore, char[] password) {
    }

    private PemKeyStore() {
    }

    public static Loaded load(Path certFile, Path keyFile, String certKey, String keyKey) {
        List<X509Certificate> chain = new ArrayList<>();
        for (Object item : read(certFile, certKey)) {
            if (item instanceof X509CertificateHolder holder) {
                try {
                    chain.add(new JcaX509CertificateConverter().getCertificate(holder));
                } catch (GeneralSecurityException e) {
                    throw new ConfigException(certKey, certFile, "unusable certificate: " + e.getMessage());
                }
            }
        }
        if (chain.isEmpty()) {
            throw new ConfigException(certKey, certFile, "no PEM certificate in the file");
        }
        PrivateKey key = null;
        for (Object item : read(keyFile, keyKey)) {
            try {
                if (item instanceof PEMKeyPair pair) {
                    key = new JcaPEMKeyConverter().getKeyPair(pair).getPrivate();
                } else if (item instanceof PrivateKeyInfo info) {
                    key = new JcaPEMKeyConverter().getPrivateKey(info);
                }
            } catch (IOException e) {
                throw new ConfigException(keyKey, keyFile, "unusable private key: " + e.getMessage());
            }
        }
        if (key == null) {
            throw new ConfigException(keyKey, keyFile, "no unencrypted PEM private key in the file");
        }
        try {
            byte[] random = new byte[18];
            new SecureRandom().nextBytes(random);
            char[] password = Base64.getEncoder().encodeToString(random).toCharArray();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", key, password, chain.toArray(new X509Certificate[0]));
            return new Loaded(ks, password);
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigException(keyKey, keyFile, "the key does not fit the certificate: " + e.getMessage());
        }
    }

    private static List<Object> read(Path file, String key) {
        List<Object> items = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file); PEMParser parser = new PEMParser(reader)) {
            for (int i = 0; i < 64; i++) {
                Object item = parser.readObject();
                if (item == null) {
                    break;
                }
                items.add(item);
            }
        } catch (NoSuchFileException e) {
            throw new ConfigException(key, file, "file does not exist");
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(key, file, "not a readable PEM file: " + e.getMessage());
        }
        return items;
    }
}
