package io.kedge.cloud.pki;

import java.net.InetSocketAddress;
import java.security.KeyStore;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** Jetty HTTPS listeners for the bootstrap and CloudHub ports. */
public final class TlsListeners {
    private TlsListeners() {
    }

    /**
     * An HTTPS connector on {@code address}; with a {@code clientTrust} store, clients must present a
     * certificate it trusts (TLS 1.2 or newer either way).
     */
    public static ServerConnector https(Server server, InetSocketAddress address, KeyStore keyStore, char[] password,
                                        KeyStore clientTrust) {
        return https(server, address, keyStore, password, clientTrust, true);
    }

    /** As above; with {@code required} false a client certificate is checked when presented, not demanded. */
    public static ServerConnector https(Server server, InetSocketAddress address, KeyStore keyStore, char[] password,
                                        KeyStore clientTrust, boolean required) {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(keyStore);
        ssl.setKeyStorePassword(new String(password));
        ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        // Edges dial by IP address; the certificate's SANs are what they check, not SNI.
        ssl.setSniRequired(false);
        if (clientTrust != null) {
            ssl.setTrustStore(clientTrust);
            if (required) {
                ssl.setNeedClientAuth(true);
            } else {
                ssl.setWantClientAuth(true);
            }
        }
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
        connector.setHost(address.getHostString());
        connector.setPort(address.getPort());
        return connector;
    }
}
