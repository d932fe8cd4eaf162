package io.kedge.server.signaling;

import io.kedge.common.signaling.SignalMessage;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Decides whether a {@link SignalMessage.Register} comes from the node it names. With a cluster CA
 * the TLS layer has already verified the client certificate's chain; here its subject must be
 * {@code CN=system:node:<node>, O=system:nodes} (KubeEdge's node certificates). Without a CA the
 * agent must present the shared join token.
 */
public interface AgentAuthenticator {
    String NODE_PREFIX = "system:node:";
    String NODES_GROUP = "system:nodes";

    /** Thrown with the reason a registration is refused. */
    final class Refused extends Exception {
        public Refused(String reason) {
            super(reason);
        }
    }

    /** Returns normally when {@code register} is authentic. */
    void authenticate(SignalMessage.Register register, SSLSession tls) throws Refused;

    /** Mutual TLS: the verified certificate names the node. */
    static AgentAuthenticator nodeCertificates() {
        return (register, tls) -> {
            Certificate[] chain;
            try {
                chain = tls.getPeerCertificates();
            } catch (SSLPeerUnverifiedException e) {
                throw new Refused("no client certificate");
            }
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                throw new Refused("no client certificate");
            }
            List<Rdn> rdns;
            try {
                rdns = new LdapName(leaf.getSubjectX500Principal().getName()).getRdns();
            } catch (InvalidNameException e) {
                throw new Refused("unreadable certificate subject");
            }
            String cn = attribute(rdns, "CN");
            boolean inGroup = rdns.stream().anyMatch(r -> r.getType().equalsIgnoreCase("O") && NODES_GROUP.equals(String.valueOf(r.getValue())));
            if (cn == null || !cn.equals(NODE_PREFIX + register.node())) {
                throw new Refused("certificate is for " + cn + ", not " + NODE_PREFIX + register.node());
            }
            if (!inGroup) {
                throw new Refused("certificate is not in organization " + NODES_GROUP);
            }
        };
    }

    /** A shared token, compared in constant time. */
    static AgentAuthenticator joinToken(String expected) {
        byte[] want = sha256(expected);
        return (register, tls) -> {
            if (register.token() == null || !MessageDigest.isEqual(want, sha256(register.token()))) {
                throw new Refused(register.token() == null ? "no join token" : "wrong join token");
            }
        };
    }

    private static String attribute(List<Rdn> rdns, String type) {
        for (Rdn r : rdns) {
            if (r.getType().equalsIgnoreCase(type)) {
                return String.valueOf(r.getValue());
            }
        }
        return null;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
